// What this node's clients of each presence channel have been told about its members, so that after an outage or a
// partition they can be told what they missed, exactly once.
//
// All local subscribers of a channel hear the same events (one Bun topic), so one view per channel stands for all of
// them. Member events are checked against it before delivery: an arrival the clients already know, or a departure of
// someone they do not list, is not news and is not delivered — which makes a repeated announcement (a node that was
// judged dead re-announced, a catch-up after an outage) harmless. Every fresh member list (a new subscriber's, or a
// re-sync after the link came back) brings the view, and so the clients, to it: missing members are announced as
// added, and — only when every node answered — members nobody holds any more as removed.

export interface ViewChange {
  added: [string, unknown][];
  removed: string[];
}

export class PresenceViews {
  readonly #views = new Map<string, Map<string, unknown>>();

  /** Is this member event news for the clients here? Updates the view when it is. */
  admit(key: string, user: string, up: boolean, info: unknown): boolean {
    const view = this.#views.get(key);
    if (!view) return true; // nobody here tracks the channel: the topic has no subscriber either
    if (up === view.has(user)) return false;
    if (up) view.set(user, info);
    else view.delete(user);
    return true;
  }

  /**
   * The clients here are to list `members` (all nodes answered: `complete`) — returns what to tell them. A partial
   * list (an outage, a node that missed the timeout) only adds: a member it lacks may be on a node that did not answer.
   */
  reconcile(key: string, members: ReadonlyMap<string, unknown>, complete: boolean): ViewChange {
    let view = this.#views.get(key);
    if (!view) {
      this.#views.set(key, new Map(members));
      return { added: [], removed: [] };
    }
    const added: [string, unknown][] = [];
    for (const [id, info] of members) if (!view.has(id)) added.push([id, info]);
    const removed = complete ? [...view.keys()].filter((id) => !members.has(id)) : [];
    for (const [id, info] of added) view.set(id, info);
    for (const id of removed) view.delete(id);
    return { added, removed };
  }

  /** The members the clients here list now (for a new subscriber when the cluster's answer was partial). */
  members(key: string): ReadonlyMap<string, unknown> {
    return this.#views.get(key) ?? new Map();
  }

  /** The channel has no subscriber here any more. */
  drop(key: string): void {
    this.#views.delete(key);
  }

  keys(): string[] {
    return [...this.#views.keys()];
  }
}
