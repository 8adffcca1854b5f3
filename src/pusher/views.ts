// What this node's clients of each presence channel have been told about its members, so that after an outage or a
// partition they can be told what they missed, exactly once.
//
// All local subscribers of a channel hear the same events (one Bun topic), so one view per channel stands for all of
// them. Member events are checked against it before delivery: an arrival the clients already know, or a departure of
// someone they do not list, is not news and is not delivered — which makes a repeated announcement (a node that was
// judged dead re-announced, a catch-up after an outage) harmless. Every fresh member list (a new subscriber's, or a
// re-sync after the link came back) brings the view, and so the clients, to it: missing members are announced as
// added, and — only when every node answered — members nobody holds any more as removed; but an event that reached
// the clients after the list was asked for is newer than the list, and the list does not undo it.
//
// A view brought to a complete list, and kept by every member event since, is the channel's member list: while the
// link that carried those events stays up (AdapterStatus.links unchanged), a join reads it instead of asking every
// node for its members (presence.ts). A view starts recording (watch) before the first list is asked for, so an event
// that overtakes that list is not lost.

export interface ViewChange {
  added: [string, unknown][];
  removed: string[];
}

/**
 * A list of members read from the cluster: `since` when the question went out, `complete` if every node answered,
 * `links` the adapter's link count it was read under; `view`: the synced view is the list (members is left empty).
 */
export interface MemberList {
  members: Map<string, unknown>;
  complete: boolean;
  since: number;
  links: number;
  view?: boolean;
}

/** A member as the clients here know it; a departure is kept a while (`here` false) so an older list cannot undo it. */
interface Entry {
  info: unknown;
  here: boolean;
  /** As of when the clients know this (ms): an event's arrival, or when a list was asked for. */
  at: number;
  /**
   * `"id"` and `"id":info` as JSON, each escaped again as the inside of a JSON string: the member's parts of the lists
   * sent to new subscribers (succeeded), made once.
   */
  wire?: [id: string, entry: string];
}

/** Far longer than a member list takes to gather (the ask timeout). */
const FORGET_MS = 30_000;

interface View {
  entries: Map<string, Entry>;
  /** The link count under which the view was last brought to a complete list (0: never, or unsynced). */
  synced: number;
  /** Recording events for a first list still being read: no client has been shown anything yet. */
  fresh: boolean;
  /**
   * The listed members' parts (see succeeded), joined in the entries' order; kept up to date as members arrive, made
   * again after any other change.
   */
  list?: { ids: string; hash: string; count: number };
}

export class PresenceViews {
  readonly #views = new Map<string, View>();

  /** A join is about to read the channel's list: record member events from now on, so none that overtakes it is lost. */
  watch(key: string): void {
    if (!this.#views.has(key)) this.#views.set(key, { entries: new Map(), synced: 0, fresh: true });
  }

  /** Is this member event news for the clients here? Updates the view when it is. */
  admit(key: string, user: string, up: boolean, info: unknown): boolean {
    const state = this.#views.get(key);
    if (!state) return true; // nobody here tracks the channel: the topic has no subscriber either
    const known = state.entries.get(user);
    if (up === (known?.here ?? false)) return false;
    const entry: Entry = { info: up ? info : undefined, here: up, at: Date.now() };
    state.entries.set(user, entry);
    // A member new to the view goes last in the entries, so it goes last in the list too; anything else remakes it.
    if (up && known === undefined && state.list) append(state.list, user, entry);
    else state.list = undefined;
    return true;
  }

  /** Is the view the channel's member list: synced under link count `links` (see the top)? */
  synced(key: string, links: number): boolean {
    const view = this.#views.get(key);
    return view !== undefined && !view.fresh && view.synced === links;
  }

  /** Another node may have missed telling us something (its link went down and came back): lists are asked again. */
  unsync(): void {
    for (const view of this.#views.values()) view.synced = 0;
  }

  /**
   * The clients here are to list `list.members` — returns what to tell them. An event that reached them after the
   * list was asked for is newer than the list and stands. A partial list (an outage, a node that missed the timeout)
   * only adds: a member it lacks may be on a node that did not answer.
   */
  reconcile(key: string, list: MemberList): ViewChange {
    const now = Date.now();
    const state: View = this.#views.get(key) ?? { entries: new Map(), synced: 0, fresh: true };
    this.#views.set(key, state);
    state.list = undefined;
    if (list.complete) state.synced = list.links;
    const view = state.entries;
    if (state.fresh) {
      // Nobody here was shown anything yet: the list, and the events recorded while it was read, make the view.
      state.fresh = false;
      for (const [id, info] of list.members) if (!((view.get(id)?.at ?? -1) >= list.since)) view.set(id, { info, here: true, at: list.since });
      return { added: [], removed: [] };
    }
    const added: [string, unknown][] = [];
    const removed: string[] = [];
    for (const [id, info] of list.members) {
      const entry = view.get(id);
      if (entry?.here) this.#inform(entry, info); // listed already: the freshest read of its info
      if (entry?.here || (entry && entry.at >= list.since)) continue;
      added.push([id, info]);
      view.set(id, { info, here: true, at: list.since });
    }
    for (const [id, entry] of view) {
      if (entry.here && list.complete && entry.at < list.since && !list.members.has(id)) {
        removed.push(id);
        view.set(id, { info: undefined, here: false, at: list.since });
      } else if (!entry.here && now - entry.at > FORGET_MS) {
        view.delete(id);
      }
    }
    return { added, removed };
  }

  /** A listed member's info, as its latest authorization gave it (as with Pusher). */
  refresh(key: string, user: string, info: unknown): void {
    const state = this.#views.get(key);
    const entry = state?.entries.get(user);
    if (entry?.here && this.#inform(entry, info)) state!.list = undefined;
  }

  /** Gives a listed member newer info; true when it changed. */
  #inform(entry: Entry, info: unknown): boolean {
    if (entry.info === info) return false;
    entry.info = info;
    entry.wire = undefined;
    return true;
  }

  /** The members the clients here list now. */
  members(key: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [id, entry] of this.#views.get(key)?.entries ?? []) if (entry.here) out.set(id, entry.info);
    return out;
  }

  /**
   * What a new subscriber is sent: `pusher_internal:subscription_succeeded` with the members the clients here list as
   * Pusher's `{"presence":{"ids","hash","count"}}`, byte for byte what frame() makes of it. A join storm sends this
   * list, O(members), with every join: each member's parts are made and escaped once (escaping whole JSON texts one
   * after another is escaping their concatenation) and kept joined as members arrive, so a join pays for copying the
   * list, not for making it and then escaping all of it into the frame.
   */
  succeeded(key: string, channel: string): string {
    const state = this.#views.get(key);
    let list = state?.list;
    if (!list) {
      list = { ids: '', hash: '', count: 0 };
      for (const [id, entry] of state?.entries ?? []) if (entry.here) append(list, id, entry);
      if (state) state.list = list;
    }
    const { ids, hash, count } = list;
    return `{"event":"pusher_internal:subscription_succeeded","channel":${JSON.stringify(channel)},"data":"{\\"presence\\":{\\"ids\\":[${ids}],\\"hash\\":{${hash}},\\"count\\":${count}}}"}`;
  }

  /** The channel has no subscriber here any more. */
  drop(key: string): void {
    this.#views.delete(key);
  }

  has(key: string): boolean {
    return this.#views.has(key);
  }

  keys(): string[] {
    return [...this.#views.keys()];
  }
}

/** A listed member's parts added at the end of `list`. */
function append(list: NonNullable<View['list']>, id: string, entry: Entry): void {
  const [quoted, pair] = (entry.wire ??= wireOf(id, entry.info));
  const sep = list.count++ === 0 ? '' : ',';
  list.ids += sep + quoted;
  list.hash += sep + pair;
}

/** A member's parts of a subscription_succeeded frame (see succeeded): JSON, then escaped as a JSON string's inside. */
function wireOf(id: string, info: unknown): [string, string] {
  const quoted = JSON.stringify(id);
  return [inside(quoted), inside(`${quoted}:${JSON.stringify(info ?? null)}`)];
}

const inside = (json: string): string => JSON.stringify(json).slice(1, -1);
