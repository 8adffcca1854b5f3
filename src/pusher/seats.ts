// maxPresenceMembers held under concurrency: a joining member reserves a seat before it asks the cluster who is in,
// and confirms (joins) or gives the seat back in the same turn as the answer, on every exit path.
//
// Joins racing on several nodes see each other's reservations: each node answers with its members and its pending
// seats, and a node asked while its own seats are pending notes the asker's. Everyone orders seats the same way
// (time, node id, number), and a seat counts only the members and the *older* seats it knows of — so of two racing
// joins at the last free place at most one gets it. Each marks before asking and answers travel behind earlier
// asks (per-sender order), so at least one of two racers sees the other, and the one that does not is the one that
// asked first and is seen as a member or an older seat by the other. A seat that is later refused still counted
// against younger ones: under a burst at the limit fewer may get in, never more.
//
// A node whose view of the channel is synced (views.ts) asks for counts instead of lists: each node answers how
// many members it holds and its pending seats. Their sum bounds the distinct users from above, so a seat that fits
// under the bound fits; only one that does not (a channel near its limit) asks again for the lists.
// Leases: far from the limit a node asks once for several seats (a lease, weight w) and its next joins of the channel
// take them without asking anyone (presence.ts). A lease is a pending seat like any other, answered with its weight
// (the seats left), so the sums above still bound the users: a join that takes a leased seat becomes a member here,
// one seat less and one member more. A lease is granted at most half the room its question found, spread over the
// nodes, so leases never fill a channel by themselves; and a question for a single seat (a channel near its limit, or
// a node reading the lists) makes every node give up its leases' unused seats before it answers, so near the limit
// seats are asked one by one as before.
import type { Member } from './registry';

/** Total order on seats, the same on every node: [ms, node id, number]. */
export type SeatOrder = [number, number, number];

export interface SeatQuery {
  p: 'seats';
  key: string;
  user: string;
  order: SeatOrder;
  /** Answer with a member count (`n`) instead of the members. */
  counts?: boolean;
  /** A lease: this many seats, counted by number, not by user. */
  w?: number;
}
/** A pending seat as other nodes see it: one user's, or a lease of `w` seats. */
export interface PendingSeat {
  user: string;
  order: SeatOrder;
  w?: number;
}
export interface SeatAnswer {
  members?: Member[];
  n?: number;
  pending: PendingSeat[];
}

export interface Seat {
  key: string;
  user: string;
  order: SeatOrder;
  /** A lease's seats (left, once granted); undefined for one user's seat. */
  w?: number;
  /** A lease granted: its seats wait for this node's next joins. */
  lease?: { links: number; used: number; timer: ReturnType<typeof setTimeout> | undefined };
  /** Seats of other nodes that asked while this one was pending. */
  concurrent: PendingSeat[];
}

/** How long a lease's unused seats are kept without a join taking one. */
export const LEASE_IDLE_MS = 250;
/** The most seats one lease asks for. */
export const LEASE_MAX = 64;

/** Seats a node asks for in one lease of a channel limited to `limit` on `nodes` nodes; under 2: ask seat by seat. */
export function leaseSize(limit: number, nodes: number): number {
  return Math.min(LEASE_MAX, Math.floor(limit / (8 * nodes)));
}

/** Seats granted of a lease asking for `want`, when `room` seats are surely free: at most half the room, shared by the nodes. */
export function leaseGrant(want: number, room: number, nodes: number): number {
  return Math.min(want, Math.floor(room / (2 * nodes)));
}

const older = (a: SeatOrder, b: SeatOrder) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

const weight = (p: PendingSeat) => p.w ?? 1;

export class Seats {
  readonly #pending = new Map<string, Set<Seat>>();
  /** Granted leases, one per channel at most (they are in #pending too). */
  readonly #leases = new Map<string, Seat>();
  #next = 0;

  /** `dropped`: a lease was given up (a channel nobody here subscribes to may be let go then). */
  constructor(private readonly dropped: (key: string) => void = () => {}) {}

  /** A seat for `user` in channel `key` (or, with `w`, a lease of w seats), pending until confirmed or released. */
  reserve(key: string, user: string, node: number, w?: number): Seat {
    const seat: Seat = { key, user, order: [Date.now(), node, ++this.#next], concurrent: [], ...(w !== undefined && { w }) };
    (this.#pending.get(key) ?? this.#pending.set(key, new Set()).get(key)!).add(seat);
    return seat;
  }

  release(seat: Seat): void {
    const set = this.#pending.get(seat.key);
    if (set?.delete(seat) && set.size === 0) this.#pending.delete(seat.key);
    if (seat.lease && this.#leases.get(seat.key) === seat) {
      clearTimeout(seat.lease.timer);
      this.#leases.delete(seat.key);
      this.dropped(seat.key);
    }
  }

  query(seat: Seat, counts = false): SeatQuery {
    return { p: 'seats', key: seat.key, user: seat.user, order: seat.order, ...(counts && { counts }), ...(seat.w !== undefined && { w: seat.w }) };
  }

  /** The lease asked for by `seat` is granted `n` seats (n >= 1), kept for this node's joins under link count `links`. */
  grant(seat: Seat, n: number, links: number): void {
    this.#drop(seat.key);
    seat.w = n;
    seat.lease = { links, used: Date.now(), timer: undefined };
    this.#leases.set(seat.key, seat);
    this.#idle(seat);
  }

  /** Takes a seat of this node's lease of `key`, if it has one left and the links are still those it was granted under. */
  take(key: string, links: number): boolean {
    const lease = this.#leases.get(key);
    if (!lease?.lease) return false;
    if (lease.lease.links !== links) {
      this.release(lease); // the link dropped since: what the lease was granted under may no longer hold
      return false;
    }
    lease.lease.used = Date.now();
    if (--lease.w! === 0) this.release(lease);
    return true;
  }

  /** Seats left in this node's lease of `key`. */
  leased(key: string): number {
    return this.#leases.get(key)?.w ?? 0;
  }

  #drop(key: string): void {
    const lease = this.#leases.get(key);
    if (lease) this.release(lease);
  }

  #idle(seat: Seat): void {
    const lease = seat.lease!;
    const left = lease.used + LEASE_IDLE_MS - Date.now();
    lease.timer = setTimeout(() => (Date.now() - lease.used >= LEASE_IDLE_MS ? this.release(seat) : this.#idle(seat)), Math.max(left, 1));
    lease.timer.unref?.();
  }

  /** Joins of `key` asking the cluster here now. */
  pending(key: string): number {
    return this.#pending.get(key)?.size ?? 0;
  }

  /**
   * Another node's question: our pending seats of the key (and the asker noted on each seat still asking), with our
   * members or their count. A question for one user's seat first gives up our lease's unused seats (see the top).
   */
  answer(query: SeatQuery, here: { members(): Member[]; count(): number }): SeatAnswer {
    if (query.w === undefined) this.#drop(query.key);
    const pending: PendingSeat[] = [];
    for (const seat of this.#pending.get(query.key) ?? []) {
      if (!seat.lease) seat.concurrent.push({ user: query.user, order: query.order, ...(query.w !== undefined && { w: query.w }) });
      pending.push({ user: seat.user, order: seat.order, ...(seat.w !== undefined && { w: seat.w }) });
    }
    return query.counts ? { n: here.count(), pending } : { members: here.members(), pending };
  }

  /**
   * How many seats are surely free for `seat`, by counts alone (see the top): the limit less the members of every
   * node (`local`: here) and the seats older than this one. 0 for a user's seat means "ask for the lists".
   */
  room(seat: Seat, local: number, answers: (SeatAnswer | null)[], limit: number): number {
    let users = local;
    for (const answer of answers) users += answer?.n ?? 0;
    for (const p of this.#older(seat, answers)) users += weight(p);
    return Math.max(limit - users, 0);
  }

  /** Does `seat` surely fit, by counts alone? false means "ask for the lists". */
  fitsByCount(seat: Seat, local: number, answers: (SeatAnswer | null)[], limit: number): boolean {
    return this.room(seat, local, answers, limit) > 0;
  }

  /**
   * Does `seat` fit under `limit`, given the members here and the answers of the others? Counts distinct users:
   * members, and seats older than this one (ours, theirs, and those that asked us). A user already counted is in.
   */
  fits(seat: Seat, local: Member[], answers: (SeatAnswer | null)[], limit: number): boolean {
    const users = new Set(local.map((m) => m.id));
    for (const answer of answers) for (const m of answer?.members ?? []) users.add(m.id);
    let leased = 0; // seats without a user, counted by number
    for (const p of this.#older(seat, answers)) {
      if (p.w === undefined) users.add(p.user);
      else leased += p.w;
    }
    return users.has(seat.user) || users.size + leased < limit;
  }

  /**
   * The pending seats older than `seat`: ours, those the answers list, those that asked us meanwhile. Each once, by its
   * order: a seat both answered and noted as an asker is one seat, counted with the larger of its weights.
   */
  #older(seat: Seat, answers: (SeatAnswer | null)[]): Iterable<PendingSeat> {
    const seats = new Map<string, PendingSeat>();
    const note = (p: PendingSeat) => {
      if (older(p.order, seat.order) >= 0) return;
      const id = `${p.order}`;
      const known = seats.get(id);
      if (!known || weight(p) > weight(known)) seats.set(id, p);
    };
    for (const s of this.#pending.get(seat.key) ?? []) if (s !== seat) note(s);
    for (const answer of answers) for (const p of answer?.pending ?? []) note(p);
    for (const p of seat.concurrent) note(p);
    return seats.values();
  }
}
