// Token buckets per key (a client IP, a connection) and the rateLimit() middleware built on them.
import type { RateLimitConfig } from '../config/schema';
import { Machine } from '../connections/machine';
import type { Middleware } from './middleware';

interface Bucket {
  tokens: number;
  at: number;
}

/** `limit` tokens per `windowSeconds` for each key, refilled continuously so bursts up to `limit` pass. */
export class RateLimiter<K = string> {
  readonly #buckets: Map<K, Bucket>;
  readonly #perMs: number;
  #sweepAt = 1024;

  /** `takeOver`: a limiter whose buckets this one continues (a reload's new limits, same clients). */
  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
    takeOver?: RateLimiter<K>,
  ) {
    this.#perMs = limit / (windowSeconds * 1000);
    this.#buckets = takeOver ? takeOver.#buckets : new Map();
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: K): boolean {
    const now = performance.now();
    const bucket = this.#refill(key, now);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Whole seconds until `key` has a token again (for Retry-After). */
  retryAfter(key: K): number {
    const bucket = this.#refill(key, performance.now());
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }

  forget(key: K): void {
    this.#buckets.delete(key);
  }

  #refill(key: K, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.limit, at: now };
      this.#buckets.set(key, bucket);
      if (this.#buckets.size >= this.#sweepAt) this.#sweep(now);
      return bucket;
    }
    bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    return bucket;
  }

  /** A full bucket is the same as none: drop those, so memory follows active clients, not every client ever seen. */
  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.limit) this.#buckets.delete(key);
    }
    this.#sweepAt = Math.max(1024, this.#buckets.size * 2); // amortized: a sweep only after the map doubles
  }
}

/** rateLimit() middlewares made so far: each counts in buckets of its own, named by this order (the same in every worker). */
let made = 0;

/**
 * Answers 429 with Retry-After once a client IP has used up `limit` requests in `windowSeconds`. Counted for the
 * whole machine: every worker takes from the same buckets in shared memory.
 */
export function rateLimit(options: RateLimitConfig): Middleware {
  const name = `${++made}:${options.limit}/${options.windowSeconds}`;
  const alone = new RateLimiter(options.limit, options.windowSeconds); // outside a server (a bare middleware test)
  return (request, next, ctx) => {
    const counters = Machine.of(ctx.server)?.counters;
    const wait = counters ? counters.take(name, ctx.ip, options.limit, options.windowSeconds) : alone.take(ctx.ip) ? 0 : alone.retryAfter(ctx.ip);
    if (wait === 0) return next();
    return new Response('Too Many Requests\n', { status: 429, headers: { 'retry-after': String(wait) } });
  };
}
