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
}
export interface SeatAnswer {
  members?: Member[];
  n?: number;
  pending: { user: string; order: SeatOrder }[];
}

export interface Seat {
  key: string;
  user: string;
  order: SeatOrder;
  /** Seats of other nodes that asked while this one was pending. */
  concurrent: { user: string; order: SeatOrder }[];
}

const older = (a: SeatOrder, b: SeatOrder) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

export class Seats {
  readonly #pending = new Map<string, Set<Seat>>();
  #next = 0;

  /** A seat for `user` in channel `key`, pending until confirmed or released. */
  reserve(key: string, user: string, node: number): Seat {
    const seat: Seat = { key, user, order: [Date.now(), node, ++this.#next], concurrent: [] };
    (this.#pending.get(key) ?? this.#pending.set(key, new Set()).get(key)!).add(seat);
    return seat;
  }

  release(seat: Seat): void {
    const set = this.#pending.get(seat.key);
    if (set?.delete(seat) && set.size === 0) this.#pending.delete(seat.key);
  }

  query(seat: Seat, counts = false): SeatQuery {
    return { p: 'seats', key: seat.key, user: seat.user, order: seat.order, ...(counts && { counts }) };
  }

  /** Joins of `key` asking the cluster here now. */
  pending(key: string): number {
    return this.#pending.get(key)?.size ?? 0;
  }

  /** Another node's question: our pending seats of the key (and the asker noted on each), with our members or their count. */
  answer(query: SeatQuery, here: { members(): Member[]; count(): number }): SeatAnswer {
    const pending = [];
    for (const seat of this.#pending.get(query.key) ?? []) {
      seat.concurrent.push({ user: query.user, order: query.order });
      pending.push({ user: seat.user, order: seat.order });
    }
    return query.counts ? { n: here.count(), pending } : { members: here.members(), pending };
  }

  /** Does `seat` surely fit, by counts alone (see the top)? `local`: members here; false means "ask for the lists". */
  fitsByCount(seat: Seat, local: number, answers: (SeatAnswer | null)[], limit: number): boolean {
    let users = local;
    const count = (p: { order: SeatOrder }) => void (older(p.order, seat.order) < 0 && users++);
    for (const s of this.#pending.get(seat.key) ?? []) if (s !== seat) count(s);
    for (const answer of answers) {
      users += answer?.n ?? 0;
      for (const p of answer?.pending ?? []) count(p);
    }
    for (const p of seat.concurrent) count(p);
    return users < limit;
  }

  /**
   * Does `seat` fit under `limit`, given the members here and the answers of the others? Counts distinct users:
   * members, and seats older than this one (ours, theirs, and those that asked us). A user already counted is in.
   */
  fits(seat: Seat, local: Member[], answers: (SeatAnswer | null)[], limit: number): boolean {
    const users = new Set(local.map((m) => m.id));
    const pending = [...(this.#pending.get(seat.key) ?? [])].filter((s) => s !== seat).map((s) => ({ user: s.user, order: s.order }));
    for (const answer of answers) {
      for (const m of answer?.members ?? []) users.add(m.id);
      pending.push(...(answer?.pending ?? []));
    }
    for (const p of [...pending, ...seat.concurrent]) if (older(p.order, seat.order) < 0) users.add(p.user);
    return users.has(seat.user) || users.size < limit;
  }
}
