// Cache channels' last events. Every node remembers every cache event it delivers or is told of (a publish reaches
// every node), so a miss here is a miss everywhere — except on a node that started after the event: a subscribe
// that misses locally asks the other nodes, and the newest answer wins.
//
// Entries live CACHE_TTL_MS whether or not anyone is subscribed: triggering the current state into a cache channel
// nobody watches yet, for its first subscriber to find, is what cache channels are for (Pusher keeps it the same
// way). So they are not dropped when a channel empties; a sweep drops them when they expire, and the map holds at
// most the cache channels published to within the last CACHE_TTL_MS.

/** Cache channels keep their last event this long (Pusher: up to 30 minutes). */
export const CACHE_TTL_MS = 30 * 60 * 1000;
const SWEEP_MS = 60_000;

export interface CachedEvent {
  payload: string;
  /** When it was published (the publishing node's clock). */
  at: number;
}

export class CacheChannels {
  readonly #last = new Map<string, CachedEvent>();
  readonly #sweep = setInterval(() => this.prune(), SWEEP_MS);

  constructor() {
    this.#sweep.unref?.();
  }

  remember(key: string, payload: string, at = Date.now()): void {
    const known = this.#last.get(key);
    if (known && known.at > at) return; // an older event learned late from another node
    this.#last.set(key, { payload, at });
  }

  /** This node's last event of `key`, if younger than CACHE_TTL_MS. */
  local(key: string, now = Date.now()): CachedEvent | undefined {
    const hit = this.#last.get(key);
    return hit && now - hit.at < CACHE_TTL_MS ? hit : undefined;
  }

  /**
   * What a new subscriber of `key` should get: this node's last event, else the newest another node has (then
   * remembered here). `ask` returns the other nodes' answers (CachedEvent or null). `live`: an event was delivered
   * while asking — the subscriber, already in the channel, got it and needs nothing older.
   */
  async last(key: string, ask: () => Promise<unknown[]>): Promise<{ event?: CachedEvent; live?: true }> {
    const here = this.local(key);
    if (here) return { event: here };
    const answers = (await ask()) as (CachedEvent | null)[];
    if (this.local(key)) return { live: true };
    let newest: CachedEvent | undefined;
    for (const answer of answers) if (answer && Date.now() - answer.at < CACHE_TTL_MS && (!newest || answer.at > newest.at)) newest = answer;
    if (newest) this.remember(key, newest.payload, newest.at);
    return { event: newest };
  }

  /** Drops expired entries. */
  prune(now = Date.now()): void {
    for (const [key, hit] of this.#last) if (now - hit.at >= CACHE_TTL_MS) this.#last.delete(key);
  }

  get size(): number {
    return this.#last.size;
  }

  stop(): void {
    clearInterval(this.#sweep);
  }
}
