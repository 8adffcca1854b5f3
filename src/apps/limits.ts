// Per-app limits: HTTP API events and reads per second and client events per second of the whole app, counted for the
// machine (every worker, in shared memory), and open sockets (maxConnections adds the other nodes' counts, asked
// through the adapter: server.ts).
import type { ResolvedApp } from '../config/schema';
import type { SharedCounters } from '../connections/shared-counters';
import { originMatcher } from '../http/origins';

/** `limit` tokens a second, refilled continuously; a burst of up to `limit` passes. */
class Bucket {
  #tokens: number;
  #at = performance.now();
  constructor(readonly limit: number) {
    this.#tokens = limit;
  }

  take(n: number): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.limit, this.#tokens + ((now - this.#at) * this.limit) / 1000);
    this.#at = now;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}

export interface Refusal {
  status: number;
  message: string;
}

type RateKey = 'maxBackendEventsPerSecond' | 'maxClientEventsPerSecond' | 'maxReadRequestsPerSecond';

export class AppLimits {
  /** @param shared the machine's counters: rates count across its workers (absent: this process alone). */
  constructor(private readonly shared?: SharedCounters) {}

  /** app id + limit name -> its bucket; remade when the limit changes (a database app re-read). */
  readonly #buckets = new Map<string, Bucket>();
  /** app id -> open sockets of the app on this process. */
  readonly #connections = new Map<string, number>();
  readonly #origins = new Map<string, { list: string[]; allowed: (origin: string) => boolean }>();

  #take(app: ResolvedApp, limit: RateKey, n: number): boolean {
    const max = app[limit];
    if (max <= 0) return true;
    if (this.shared) return this.shared.take(`app:${limit}`, app.id, max, 1, n) === 0;
    const tag = `${app.id}\u0000${limit}`;
    let bucket = this.#buckets.get(tag);
    if (bucket?.limit !== max) this.#buckets.set(tag, (bucket = new Bucket(max)));
    return bucket.take(n);
  }

  /** Why an HTTP API request of `app` is refused before any work: disabled (403), reads over their rate (429). */
  request(app: ResolvedApp, method: string): Refusal | undefined {
    if (!app.enabled) return { status: 403, message: `App ${app.id} is disabled` };
    if (method === 'GET' && !this.#take(app, 'maxReadRequestsPerSecond', 1)) return { status: 429, message: `More than ${app.maxReadRequestsPerSecond} read requests per second for app ${app.id}` };
    return undefined;
  }

  /** `events` events triggered through the HTTP API at once (a batch counts each): 429 over the rate. */
  backendEvents(app: ResolvedApp, events: number): Refusal | undefined {
    if (this.#take(app, 'maxBackendEventsPerSecond', events)) return undefined;
    return { status: 429, message: `More than ${app.maxBackendEventsPerSecond} events per second for app ${app.id}` };
  }

  /** One client event of the app (after the per-socket limit passed). */
  clientEvent(app: ResolvedApp): boolean {
    return this.#take(app, 'maxClientEventsPerSecond', 1);
  }

  /** Does the app take sockets from this Origin (null: not a browser, always let through, as the global check does)? */
  originAllowed(app: ResolvedApp, origin: string | null): boolean {
    if (app.allowedOrigins.length === 0 || origin === null) return true;
    let entry = this.#origins.get(app.id);
    if (entry?.list !== app.allowedOrigins) this.#origins.set(app.id, (entry = { list: app.allowedOrigins, allowed: originMatcher(app.allowedOrigins) }));
    return entry.allowed(origin);
  }

  /** Counts a socket of the app in; returns how many this process holds now, this one included. */
  reserve(app: ResolvedApp): number {
    const n = (this.#connections.get(app.id) ?? 0) + 1;
    this.#connections.set(app.id, n);
    return n;
  }

  release(appId: string): void {
    const n = (this.#connections.get(appId) ?? 0) - 1;
    if (n > 0) this.#connections.set(appId, n);
    else this.#connections.delete(appId);
  }

  /** Open sockets per app id on this process (the dashboard's samples). */
  get allConnections(): ReadonlyMap<string, number> {
    return this.#connections;
  }

  /** Open sockets of an app on this process. */
  connections(appId: string): number {
    return this.#connections.get(appId) ?? 0;
  }
}
