// Presence member lists for joins and re-syncs: read from the cluster (with whether every node answered), a joiner's
// seat under maxPresenceMembers (seats.ts), and what this node's clients are told of them (views.ts).
import type { ResolvedApp } from '../config/schema';
import { frame } from './frames';
import { keyOf, type Member, topicOf } from './registry';
import { leaseGrant, leaseSize, type Seat, type SeatAnswer, Seats } from './seats';
import type { Asked, PusherServer } from './server';
import { type MemberList, PresenceViews, type ViewChange } from './views';

/** How long joins of a channel skip leases after a lease question missed an answer. */
const ASK_MISS_MS = 5_000;

export class Presence {
  /** Seats reserved by joins still asking the cluster, and leases of seats for the next joins. */
  readonly seats = new Seats((key) => this.settle(key));
  /** What the clients here were told about each presence channel's members. */
  readonly views = new PresenceViews();
  /** A lease question under way, per channel: joins arriving meanwhile wait for it rather than ask too. */
  readonly #asking = new Map<string, Promise<boolean>>();
  /** Channels whose last lease question missed an answer, until when no lease is asked for (joins ask seat by seat). */
  readonly #unleased = new Map<string, number>();

  constructor(private readonly layer: PusherServer) {}

  /** The members of a channel on every node, merged by user id, and whether every node still alive answered (one that left meanwhile owes nothing). */
  async gather(app: ResolvedApp, channel: string): Promise<MemberList> {
    const key = keyOf(app.id, channel);
    return (await this.#read(key, { p: 'members', key }, (answer) => answer as Member[] | null)).list;
  }

  /**
   * The members, for a join holding `seat` (reserved before this asks, released by the caller after it joined or
   * gave up): null when the seat does not fit under maxPresenceMembers.
   */
  async seated(app: ResolvedApp, channel: string, seat: Seat): Promise<MemberList | null> {
    const key = keyOf(app.id, channel);
    const { adapter } = this.layer.node;
    const { registry } = this.layer;
    if (this.views.synced(key, adapter.status().links)) {
      // The view is the list (views.ts): the cluster is asked only for counts and seats, never for its members.
      const since = Date.now();
      if (await this.#leased(app, key)) return { members: new Map(), complete: true, since, links: adapter.status().links, view: true };
      const answers = (await adapter.ask({ kind: 'app', q: this.seats.query(seat, true) })) as (SeatAnswer | null)[];
      const links = adapter.status().links;
      if (this.views.synced(key, links) && this.seats.fitsByCount(seat, registry.memberCount(key), answers, app.maxPresenceMembers)) {
        return { members: new Map(), complete: true, since, links, view: true };
      }
    }
    const { list, answers } = await this.#read(key, this.seats.query(seat), (answer) => (answer as SeatAnswer | null)?.members ?? null);
    return this.seats.fits(seat, registry.members(key), answers as (SeatAnswer | null)[], app.maxPresenceMembers) ? list : null;
  }

  /**
   * Far from the limit, a join takes a seat of this node's lease of the channel; a lease is asked for when there is
   * none left, once at a time (seats.ts). false: ask for this join's own seat.
   */
  async #leased(app: ResolvedApp, key: string): Promise<boolean> {
    const { adapter } = this.layer.node;
    for (let tries = 0; tries < 3; tries++) {
      const { links, peers, state } = adapter.status();
      if (!this.views.synced(key, links)) return false;
      if (this.seats.take(key, links)) return true;
      const want = leaseSize(app.maxPresenceMembers, peers + 1);
      if (want < 2 || state !== 'up' || this.#missed(key)) return false;
      let asking = this.#asking.get(key);
      if (!asking) {
        asking = this.#lease(app, key, want).finally(() => this.#asking.delete(key));
        this.#asking.set(key, asking);
      }
      if (!(await asking)) return false; // refused, or not every node answered: this join asks for its own seat
    }
    return false;
  }

  /** Asks the cluster for a lease of `want` seats; true if granted. Only on a full count. */
  async #lease(app: ResolvedApp, key: string, want: number): Promise<boolean> {
    const { adapter } = this.layer.node;
    const { links, peers } = adapter.status();
    const seat = this.seats.reserve(key, '', this.layer.node.id, want);
    try {
      const { answers, complete } = await this.layer.askNodes(this.seats.query(seat, true));
      // A node that did not answer (paused, dying) would make every lease question wait out the timeout before the
      // join asks again for its own seat: after one such miss, joins of the channel skip leases for ASK_MISS_MS.
      if (!complete) this.#unleased.set(key, Date.now() + ASK_MISS_MS);
      if (!complete || adapter.status().links !== links || !this.views.synced(key, links)) return false;
      const room = this.seats.room(seat, this.layer.registry.memberCount(key), answers as (SeatAnswer | null)[], app.maxPresenceMembers);
      const granted = leaseGrant(want, room, peers + 1);
      if (granted > 0) this.seats.grant(seat, granted, links);
      return granted > 0;
    } finally {
      if (!seat.lease) this.seats.release(seat);
    }
  }

  #missed(key: string): boolean {
    const until = this.#unleased.get(key);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#unleased.delete(key);
    return false;
  }

  /** A join of `key` ended (joined or not): a view nobody here subscribes to, and no join is reading, is let go. */
  settle(key: string): void {
    if (this.layer.registry.subscribers(key).size > 0 || this.seats.pending(key) > 0) return;
    this.views.drop(key);
    this.#unleased.delete(key);
  }

  async #read(key: string, q: Asked, membersOf: (answer: unknown) => Member[] | null): Promise<{ list: MemberList; answers: unknown[] }> {
    const { links } = this.layer.node.adapter.status();
    const since = Date.now();
    // Who holds which member is also what lets survivors announce a dead node's members (holders.ts).
    const seen = (answer: unknown, node: number) => {
      for (const m of membersOf(answer) ?? []) this.layer.transitions.holders.saw(`m\u0000${key}\u0000${m.id}`, node, true);
    };
    const { answers, complete: answered } = await this.layer.askNodes(q, seen);
    const members = new Map<string, unknown>();
    for (const list of [this.layer.registry.members(key), ...answers.map(membersOf)]) for (const m of list ?? []) if (!members.has(m.id)) members.set(m.id, m.info);
    // Complete: every node that owes an answer answered (one that left meanwhile owes none), and the link did not drop
    // meanwhile (events of that gap may be missing).
    const complete = answered && this.layer.node.adapter.status().links === links;
    return { list: { members, complete, since, links }, answers };
  }

  /**
   * Brings what the clients here list of a presence channel to `list` (views.ts), with the member `joining` now,
   * telling the current subscribers what changed. A new subscriber is then sent the view (views.succeeded): a partial
   * answer only added to what the clients here already list.
   */
  show(key: string, list: MemberList, joining?: Member): void {
    const change = list.view ? { added: [], removed: [] } : this.views.reconcile(key, list);
    if (joining && this.views.admit(key, joining.id, true, joining.info)) change.added.push([joining.id, joining.info]);
    else if (joining) this.views.refresh(key, joining.id, joining.info); // the latest authorization wins, as with Pusher
    this.#publish(key, change);
    if (!list.complete) this.layer.resync.reread([key]); // what the nodes that did not answer hold comes later
  }

  #publish(key: string, { added, removed }: ViewChange): void {
    const channel = key.slice(key.indexOf('\u0000') + 1);
    const topic = topicOf(key);
    for (const [id, info] of added) this.layer.node.bun.publish(topic, frame('pusher_internal:member_added', JSON.stringify({ user_id: id, user_info: info }), channel));
    for (const id of removed) this.layer.node.bun.publish(topic, frame('pusher_internal:member_removed', JSON.stringify({ user_id: id }), channel));
  }
}
