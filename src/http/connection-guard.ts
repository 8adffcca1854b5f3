// Limits that last as long as a connection: open sockets per client IP (503), counted for the whole machine in shared
// memory, and messages per socket (close 1008).
import type { RateLimitConfig } from '../config/schema';
import type { Machine } from '../connections/machine';
import type { Socket } from '../server/node';
import type { Middleware } from './middleware';
import { RateLimiter } from './rate-limit';

export class ConnectionGuard {
  /** fd -> the IP its slot was counted under, from admission until the connection ends. */
  readonly #slots: Map<number, string>;
  readonly #messages: RateLimiter<number> | null;

  /**
   * `carried`: the guard of the pipeline a reload replaces. Connections outlast a config, so the new guard
   * shares its counts and message buckets (the old one keeps working on them until the swap).
   */
  constructor(
    readonly maxPerIp: number,
    messageRateLimit: RateLimitConfig | false,
    private readonly machine: Machine,
    carried?: ConnectionGuard,
  ) {
    this.#slots = carried ? carried.#slots : new Map();
    const buckets = (carried && carried.#messages) ?? undefined;
    this.#messages = messageRateLimit ? new RateLimiter<number>(messageRateLimit.limit, messageRateLimit.windowSeconds, buckets) : null;
  }

  /**
   * Handshake middleware: 503 when the client IP already holds maxPerIp connections (pending ones count,
   * so a burst of slow handshakes cannot slip past). The slot is held until closed(fd). With no limit nothing is
   * counted (a per-handshake cost for nobody): a limit a reload turns on counts connections opened after it.
   */
  perIpLimit(): Middleware {
    return (request, next, ctx) => {
      const fd = ctx.handshake?.fd;
      if (fd === undefined || this.maxPerIp === 0) return next();
      return this.admit(fd, ctx.ip) ?? next();
    };
  }

  /** The same check, synchronous and machine-wide: a 503 to send, or undefined with the slot taken for `fd`. */
  admit(fd: number, ip: string): Response | undefined {
    if (!this.machine.counters.admit(ip, this.maxPerIp)) return new Response('Too many connections from your address\n', { status: 503, headers: { 'retry-after': '5' } });
    this.#slots.set(fd, ip);
    this.machine.connections?.countedUnder(fd, ip); // so the primary can give it back if this worker dies
    return undefined;
  }

  /** False, after closing the socket with 1008, once it sends faster than messageRateLimit allows. */
  allowMessage(ws: Socket): boolean {
    if (!this.#messages || this.#messages.take(ws.data.fd)) return true;
    ws.close(1008, 'message rate limit exceeded');
    return false;
  }

  /** The connection (or handshake) `fd` ended: free its IP slot and its message bucket. Safe to call twice. */
  closed(fd: number): void {
    this.#messages?.forget(fd);
    const ip = this.#slots.get(fd);
    if (ip === undefined) return;
    this.#slots.delete(fd);
    this.machine.counters.release(ip);
  }
}
