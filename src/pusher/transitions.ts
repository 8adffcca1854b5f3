// Cluster-wide first-arrival / last-departure of a key (a channel's occupancy, a user's presence), decided exactly
// once across nodes without a copy of anyone's state: each node counts only its own holders and asks the others
// (it remembers only which node ids hold a key, see holders.ts).
//
// Protocol (per key). A node whose local count goes 0 -> 1 runs a *join round*: it marks itself `joining` and, in
// the same turn, asks every other node for its phase of the key. 1 -> 0 runs a *leave round* (`leaving`). Answers:
// `steady` (holds it, no round running), `joining`, `leaving`, or null. A node asked while its own round runs notes
// the asker (and its intent) as a concurrent participant.
//   join round:  announce iff nobody answered steady/leaving, and I am the highest node id among the joiners I know
//                (those that answered `joining` and those that asked me during my round).
//   leave round: announce iff nobody answered steady/joining, no joiner asked me during my round, and I am the
//                highest id among the leavers I know.
// A round ends early, without announcing, at the first answer that decides it (steady, or the opposite phase).
// Why it holds for two racing nodes A, B: each marks itself before asking, so at least one sees the other; and an
// answer from B to A travels behind any ask B sent earlier (per-sender order on every adapter), so if A sees B, B
// sees A or finds A already settled. The participant sets are then the same on both, and one id is highest.
// Limits: never announced twice, but with three or more nodes racing on one key within one round trip an
// announcement can be missed. A node that dies announces nothing itself: `holders` (what the rounds show about
// other nodes) lets the survivors announce for it (departures.ts).
// Blind rounds: a round that missed an answer (this node's link was down, a node missed the timeout) decided on what
// it could see — two nodes that each joined a key during a Redis outage both announce. Clients are kept straight by
// views.ts; the arrival webhook is held back and settled once the link is back (arrivals.ts). A holder whose arrival
// is so held answers `blind`: a join round blocked only by blind holders joins them (its arrival webhook is held too,
// and one of them sends it), and a leave round blocked only by them vouches that the backend knows the key.
import { RemoteHolders } from './holders';

export type Phase = 'steady' | 'joining' | 'leaving';
export interface TransitionQuery {
  p: 'tr';
  key: string;
  from: number;
  intent: 'join' | 'leave';
}
export interface TransitionAnswer {
  phase: Phase | null;
  /** A departure of this key is announced but its webhook is still held back (it may be cancelled). */
  held: boolean;
  /** This node holds the key and its arrival webhook is held back: decided blind, not yet settled (arrivals.ts). */
  blind?: boolean;
}

interface Entry {
  count: number;
  /** What the last finished round settled: true = this node holds the key as far as the cluster knows. */
  settled: boolean;
  round: 'join' | 'leave' | null;
  /** Other nodes that asked during the current round, with their intent. */
  concurrent: Map<number, 'join' | 'leave'>;
}

export interface TransitionHooks {
  /** Asks every other node; `each` sees answers as they come. Resolves whether every node that owes an answer gave one. */
  ask(query: TransitionQuery, each: (answer: unknown, node: number) => void): Promise<boolean>;
  self(): number;
  /**
   * This node announces the cluster-wide change; `held`: an arrival while some node holds back this key's departure
   * webhook; `blind`: the round missed answers (its arrival webhook waits to be settled, arrivals.ts).
   */
  changed(key: string, up: boolean, held: boolean, blind: boolean): void;
  /** Is a departure of `key` held back here (webhooks)? */
  held(key: string): boolean;
  /** Is an arrival of `key` held back here, unsettled (arrivals.ts)? */
  blind(key: string): boolean;
  /**
   * A round found only holders whose arrival webhook is unsettled: a joiner holds its own arrival webhook back with
   * theirs; a leaver (the backend was told of the key, and it is still held) vouches that no arrival is owed.
   */
  unsettled(key: string, joining: boolean): void;
}

export class Transitions {
  readonly #entries = new Map<string, Entry>();
  /** Which other nodes hold which keys, as the rounds (theirs and ours) show it. */
  readonly holders = new RemoteHolders();
  /** Rounds running now, so a graceful stop can let them finish (their announcements are owed). */
  readonly #rounds = new Set<Promise<void>>();

  constructor(private readonly hooks: TransitionHooks) {}

  add(key: string): void {
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { count: 0, settled: false, round: null, concurrent: new Map() }));
    entry.count++;
    this.#run(key, entry);
  }

  remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.count === 0) return;
    entry.count--;
    this.#run(key, entry);
  }

  /** Is a round of `key` running here (its outcome not yet announced)? */
  busy(key: string): boolean {
    return this.#entries.get(key)?.round != null;
  }

  /** Holders of `key` on this node. */
  count(key: string): number {
    return this.#entries.get(key)?.count ?? 0;
  }

  /** `from` -1: a look at this node's state (a held webhook's check), not a round: the asker is not a participant. */
  answer(query: TransitionQuery): TransitionAnswer {
    const look = query.from === -1;
    if (!look) this.holders.saw(query.key, query.from, query.intent === 'join');
    const entry = this.#entries.get(query.key);
    const held = this.hooks.held(query.key);
    const blind = this.hooks.blind(query.key);
    if (look) return { phase: entry?.count ? (entry.round ? 'joining' : 'steady') : entry?.round === 'leave' ? 'leaving' : null, held, blind };
    if (!entry) return { phase: null, held, blind };
    if (entry.round) {
      entry.concurrent.set(query.from, query.intent);
      return { phase: entry.round === 'join' ? 'joining' : 'leaving', held, blind };
    }
    return { phase: entry.settled ? 'steady' : null, held, blind };
  }

  /** One round at a time per key; rounds repeat until what is settled matches the local count. */
  #run(key: string, entry: Entry): void {
    if (entry.round || entry.settled === entry.count > 0) {
      if (!entry.round && entry.count === 0) this.#entries.delete(key);
      return;
    }
    const joining = entry.count > 0;
    entry.round = joining ? 'join' : 'leave';
    entry.concurrent = new Map();
    const round = this.#round(key, entry, joining).then(({ announce, held, blind }) => {
      this.#rounds.delete(round);
      entry.round = null;
      entry.settled = joining;
      if (announce) this.hooks.changed(key, joining, held || this.hooks.held(key), blind);
      this.#run(key, entry);
    });
    this.#rounds.add(round);
  }

  /** Resolves when no round is running (a round's end may start another: waited for too). */
  async idle(): Promise<void> {
    while (this.#rounds.size > 0) await Promise.all(this.#rounds);
  }

  #round(key: string, entry: Entry, joining: boolean): Promise<{ announce: boolean; held: boolean; blind: boolean }> {
    const self = this.hooks.self();
    const peers = new Set<number>();
    let held = false;
    let blind = false;
    const { promise, resolve: settle } = Promise.withResolvers<{ announce: boolean; held: boolean; blind: boolean }>();
    const resolve = (announce: boolean) => settle({ announce, held, blind });
    const blocking: (Phase | null)[] = joining ? ['steady', 'leaving'] : ['steady', 'joining'];
    const same: Phase = joining ? 'joining' : 'leaving';
    const intent = joining ? 'join' : 'leave';
    // Nodes whose answer says they hold the key (or are leaving while we join). Decided only once every answer is in:
    // a node that answered 'steady' and then started the same round as ours asks us meanwhile (entry.concurrent), and
    // it counts us as its peer, so we must count it as ours, or neither announces (two workers stopping at once both
    // kept a channel's channel_vacated back).
    const blockers = new Set<number>();
    /** Blockers holding the key with an unsettled arrival (their answer said `blind`). */
    const unsettled = new Set<number>();
    this.hooks
      .ask({ p: 'tr', key, from: self, intent }, (raw, node) => {
        const answer = raw as TransitionAnswer | null;
        this.holders.saw(key, node, answer?.phase === 'steady' || answer?.phase === 'joining');
        if (answer?.held) held = true;
        if (answer && blocking.includes(answer.phase)) blockers.add(node);
        else if (answer?.phase === same) peers.add(node);
        if (answer?.blind && answer.phase === 'steady') unsettled.add(node);
      })
      .then((complete) => {
        blind = !complete;
        for (const [node, theirs] of entry.concurrent) {
          if (theirs === intent) {
            peers.add(node);
            blockers.delete(node);
          } else if (!joining) return resolve(false); // a joiner saw us leaving and counts us as present
        }
        if (blockers.size > 0 && [...blockers].every((node) => unsettled.has(node))) {
          // Only holders whose arrival webhook is unsettled: nothing is announced (clients know from them), but a
          // joiner holds an arrival webhook too (their settling sends one), and a leaver was announced to the backend
          // and the key stays held, so it vouches that no arrival is owed. A departure held somewhere covers both.
          if (!(joining && held)) this.hooks.unsettled(key, joining);
          return resolve(false);
        }
        if (blockers.size > 0) return resolve(false); // decided: someone else holds it
        let highest = self;
        for (const node of peers) highest = Math.max(highest, node);
        resolve(highest === self);
      });
    return promise;
  }
}
