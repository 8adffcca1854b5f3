// Counters every worker of the machine shares: open connections per client IP and token buckets per rateLimit()
// and client IP. Each check-and-count runs under the key's lock, so a limit holds however the handshakes interleave.
import { logger } from '../log/logger';
import type { SharedMap } from './shared-map';

/** The key space of rateLimit() buckets (beside per-IP connection counts, which use the bare IP). */
const BUCKET = '\u0001';

export class SharedCounters {
  #warned = false;

  constructor(readonly map: SharedMap) {}

  /** Counts one more connection from `ip` unless it holds `limit` already; false when over (or out of rows). */
  admit(ip: string, limit: number): boolean {
    return this.#full(() =>
      this.map.update(ip, 8, (at, _fresh, drop) => {
        const i = at >> 2;
        const held = this.#i32[i]!;
        if (held >= limit) {
          if (held === 0) drop();
          return false;
        }
        this.#i32[i] = held + 1;
        return true;
      }),
    );
  }

  /** Gives back a connection `admit` counted. */
  release(ip: string): void {
    this.map.update(ip, 8, (at, _fresh, drop) => {
      const i = at >> 2;
      const left = this.#i32[i]! - 1;
      this.#i32[i] = Math.max(0, left);
      if (left <= 0) drop();
    });
  }

  /** Connections counted for `ip` right now (all workers). */
  held(ip: string): number {
    const bytes = this.map.get(ip);
    return bytes ? new Int32Array(bytes.buffer, bytes.byteOffset, 1)[0]! : 0;
  }

  /**
   * Takes `tokens` (default 1) from bucket `name` of `key` (`limit` per `windowSeconds`, refilled continuously): 0 when
   * taken, else the whole seconds until they are back (for Retry-After).
   */
  take(name: string, key: string, limit: number, windowSeconds: number, tokens = 1): number {
    const perMs = limit / (windowSeconds * 1000);
    const now = Date.now();
    const wait = this.#full(() =>
      this.map.update(`${BUCKET}${name}\u0000${key}`, 32, (at, fresh) => {
        const i = at >> 3; // [tokens, last refill, tokens per ms, limit]
        const have = fresh ? limit : Math.min(limit, this.#f64[i]! + Math.max(0, now - this.#f64[i + 1]!) * perMs);
        this.#f64[i + 1] = now;
        this.#f64[i + 2] = perMs;
        this.#f64[i + 3] = limit;
        if (have >= tokens) {
          this.#f64[i] = have - tokens;
          return 0;
        }
        this.#f64[i] = have;
        return Math.max(1, Math.ceil((tokens - have) / perMs / 1000));
      }),
    );
    return wait === false ? Math.ceil(windowSeconds) : wait;
  }

  get #i32(): Int32Array {
    return this.map.view.i32;
  }
  get #f64(): Float64Array {
    return this.map.view.f64;
  }

  /** When the map is full: drop buckets that refilled (no different from none), then try once more; else refuse. */
  #full<T>(run: () => T): T | false {
    try {
      return run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'E_TABLE_FULL') throw error;
    }
    const now = Date.now();
    this.map.sweep((at) => this.#idle(at, now));
    try {
      return run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'E_TABLE_FULL') throw error;
      if (!this.#warned) {
        this.#warned = true;
        logger.warn(`the shared per-IP counters are full (${this.map.rows} rows): refusing until some free up (config additional.table.connections)`);
      }
      return false;
    }
  }

  /** A bucket that has refilled is the same as none; a zero count is no count. */
  #idle(at: number, now: number): boolean {
    if (this.map.valueLength(at) === 8) return this.#i32[at >> 2] === 0;
    const i = at >> 3;
    return this.#f64[i]! + (now - this.#f64[i + 1]!) * this.#f64[i + 2]! >= this.#f64[i + 3]!;
  }
}
