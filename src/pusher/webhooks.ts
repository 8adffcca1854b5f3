// Webhooks: events batched per URL, signed like Pusher's (X-Pusher-Key, X-Pusher-Signature = HMAC-SHA256 of the body),
// retried with exponential backoff for a bounded time. Departures (channel_vacated, member_removed) are held back
// and dropped if the key is held again anywhere in the cluster by the time they fall due; the arrival that
// cancels them is not sent either. Arrivals decided blind are held back until settled (arrivals.ts). Nothing here
// blocks the event loop or throws into a socket's path.
import type { ResolvedApp, WebhookEvent } from '../config/schema';
import { describeError } from '../log/logger';
import { Arrivals } from './arrivals';
import type { PusherServer } from './server';
import { hmac } from './signatures';

export type WebhookPayload = { name: WebhookEvent; channel: string; [field: string]: unknown };

/** How long a departure waits for the member (or channel) to come back. */
export const DEPARTURE_DELAY_MS = 3000;
/** Events are collected this long (or up to BATCH_MAX) into one request. */
const BATCH_MS = 50;
const BATCH_MAX = 100;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
/** A batch still failing after this long is dropped (logged, counted). */
export const GIVE_UP_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Batches waiting to be delivered or retried, per node; beyond it the oldest is dropped (counted in /metrics). */
export const MAX_QUEUED_BATCHES = 1000;
/** Webhook POSTs in flight at once, per node: a backlog drains at this pace instead of in bursts of hundreds. */
export const MAX_CONCURRENT_POSTS = 8;
/** A channel's cache_miss webhook is sent at most once per this long (a subscribe loop must not make one each). */
export const CACHE_MISS_EVERY_MS = 10_000;
/** Channels whose last cache_miss time is remembered; beyond it the oldest are forgotten. */
const CACHE_MISS_CHANNELS = 10_000;

/** One batch on its way: `body` is emptied when it is dropped, so a dropped batch holds no memory while it sleeps. */
interface Batch {
  body: string;
  dropped: boolean;
}

/** How soon a held departure is checked again while a round of its key is still running here. */
const RECHECK_MS = 250;

/** A departure webhook held back for DEPARTURE_DELAY_MS (its check is run early, `final`, by a graceful stop). */
interface Held {
  timer: ReturnType<typeof setTimeout> | undefined;
  due: number;
  /** An arrival of the key came first: the departure is not sent whatever its check finds. */
  cancelled: boolean;
  checking: Promise<void> | undefined;
  check: (final: boolean) => Promise<void>;
}

interface Target {
  app: ResolvedApp;
  hook: ResolvedApp['webhooks'][number];
  events: WebhookPayload[];
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Webhooks {
  /** Counters, for operators: batches delivered, attempts that failed, batches given up on. */
  readonly stats = { sent: 0, failedAttempts: 0, dropped: 0 };
  readonly #targets = new Map<string, Target>();
  /** Held-back departures by transitions key, until their check has run (see Held). */
  readonly #held = new Map<string, Held>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Batches not yet delivered or given up on, oldest first. */
  readonly #queued = new Set<Batch>();
  /** Waiting for one of MAX_CONCURRENT_POSTS. */
  readonly #waiting: (() => void)[] = [];
  #posting = 0;
  /** Channel key -> when its last cache_miss webhook was sent (insertion order = oldest first). */
  readonly #cacheMisses = new Map<string, number>();
  #stopped = false;
  /** Arrival webhooks decided blind, held until the nodes holding the key agree who sends them. */
  readonly arrivals: Arrivals;

  constructor(private readonly layer: PusherServer) {
    this.arrivals = new Arrivals({
      ask: (query, each) => layer.askAll(query, each),
      self: () => layer.node.id,
      ready: (key) => layer.node.adapter.status().state === 'up' && !layer.transitions.busy(key),
      count: (key) => layer.transitions.count(key),
      send: (app, event) => this.send(app, event),
      error: (message) => layer.log.error(message),
    });
  }

  /** Events waiting for their batch plus requests in flight or waiting to retry (the dashboard, src/apps/). */
  get queued(): number {
    let n = this.#inFlight.size;
    for (const target of this.#targets.values()) n += target.events.length;
    return n;
  }

  wants(app: ResolvedApp, ...names: WebhookEvent[]): boolean {
    return app.webhooks.some((hook) => names.some((name) => hook.events.includes(name)));
  }

  /** A departure of this transitions key is held back here. */
  holds(key: string): boolean {
    return this.#held.has(key);
  }

  /** A cluster-wide arrival or departure this node announced; `blind`: decided without every node's answer (arrivals.ts). */
  transition(app: ResolvedApp, key: string, up: boolean, heldElsewhere: boolean, event: WebhookPayload, blind = false): void {
    if (!this.wants(app, event.name)) return;
    if (up) {
      const held = this.#held.get(key);
      if (held) {
        clearTimeout(held.timer); // came back in time (or while its check runs): neither the departure nor this arrival is news
        held.cancelled = true;
        this.#held.delete(key);
        return;
      }
      if (heldElsewhere) return; // the holder sees us when its departure falls due, and drops it
      if (blind) return this.arrivals.hold(app, key, event);
      return this.send(app, event);
    }
    if (this.arrivals.cancel(key)) return; // its arrival was never sent: neither is news
    const held: Held = { timer: undefined, due: Date.now() + DEPARTURE_DELAY_MS, cancelled: false, checking: undefined, check: (final) => this.#check(app, key, event, held, final) };
    held.timer = setTimeout(() => void held.check(false), DEPARTURE_DELAY_MS);
    held.timer.unref?.();
    this.#held.set(key, held);
  }

  /**
   * A held departure falls due: sent unless the key is held somewhere again. It stays held while the question runs
   * (an arrival meanwhile cancels both), and waits while a round of the key runs here — that round's arrival, not
   * this check, decides (else a check that sees the member back would drop the departure and the arrival still go out)
   * — and while this node's link is down, when no other node could answer that it holds the key.
   */
  #check(app: ResolvedApp, key: string, event: WebhookPayload, held: Held, final: boolean): Promise<void> {
    if (!final && (this.layer.transitions.busy(key) || this.layer.node.adapter.status().state === 'down')) {
      held.timer = setTimeout(() => void held.check(false), RECHECK_MS);
      held.timer.unref?.();
      return Promise.resolve();
    }
    held.checking ??= this.layer
      .present(key)
      .then(
        (back) => {
          if (this.#held.get(key) === held) this.#held.delete(key);
          if (held.cancelled) return;
          if (!back) return this.send(app, event);
          this.vouch(key); // in this turn: any answer of ours from now on travels behind it
        },
        (error) => {
          if (this.#held.get(key) === held) this.#held.delete(key);
          this.layer.log.error(`webhook check for ${event.name} failed: ${describeError(error)}`);
        },
      );
    return held.checking;
  }

  /**
   * The backend was told of `key` and no departure went out, and other nodes hold it now (this node's departure
   * found it back, or a leave round found only unsettled holders): their held arrivals are not news (arrivals.ts).
   */
  vouch(key: string): void {
    if (this.arrivals.cancel(key)) return; // ours was never sent: the backend was not told by us
    this.layer.node.adapter.tell({ p: 'settled', key });
  }

  /**
   * Graceful stop: the held-back departures are checked and sent now rather than dropped with the process — each
   * when it falls due, or at `deadline` (the shutdown budget) if that comes first, so a member who reconnected to
   * another node meanwhile is still not reported as gone.
   */
  async settle(deadline: number): Promise<void> {
    const held = [...this.#held.values()];
    for (const h of held) clearTimeout(h.timer);
    await Promise.all(held.map(async (h) => {
      await Bun.sleep(Math.max(0, Math.min(h.due, deadline) - Date.now()));
      await h.check(true);
    }));
  }

  send(app: ResolvedApp, event: WebhookPayload): void {
    if (this.#stopped) return;
    if (event.name === 'cache_miss' && !this.#cacheMissDue(`${app.id}\u0000${event.channel}`)) return;
    for (const [i, hook] of app.webhooks.entries()) {
      if (!hook.events.includes(event.name)) continue;
      const id = `${app.id}\u0000${i}`;
      let target = this.#targets.get(id);
      if (!target) this.#targets.set(id, (target = { app, hook, events: [], timer: undefined }));
      target.events.push(event);
      if (target.events.length >= BATCH_MAX) this.#flushTarget(target);
      else target.timer ??= setTimeout(() => this.#flushTarget(target), BATCH_MS);
    }
  }

  /** Sends what is batched and waits (bounded by the retry budget of in-flight batches) — for a graceful stop. */
  async flush(): Promise<void> {
    for (const target of this.#targets.values()) this.#flushTarget(target);
    this.#stopped = true;
    for (const held of this.#held.values()) clearTimeout(held.timer);
    this.arrivals.stop();
    await Promise.race([Promise.all(this.#inFlight), Bun.sleep(2000)]);
  }

  #flushTarget(target: Target): void {
    clearTimeout(target.timer);
    target.timer = undefined;
    if (target.events.length === 0) return;
    const body = JSON.stringify({ time_ms: Date.now(), events: target.events });
    target.events = [];
    const delivery = this.#deliver(target, this.#enqueue(body)).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  async #deliver(target: Target, batch: Batch): Promise<void> {
    const headers = { ...target.hook.headers, 'Content-Type': 'application/json', 'X-Pusher-Key': target.app.key, 'X-Pusher-Signature': hmac(target.app.secret, batch.body) };
    const started = Date.now();
    let wait = FIRST_RETRY_MS;
    try {
      for (let attempt = 1; ; attempt++) {
        const why = await this.#post(target, batch, headers);
        if (why === undefined) return;
        this.stats.failedAttempts++;
        if (this.#stopped || Date.now() - started + wait > GIVE_UP_MS) {
          this.stats.dropped++;
          this.layer.node.counters.webhooksGivenUp++;
          return void this.layer.log.error(`webhook to ${redact(target.hook.url)} failed ${attempt} time(s) (${why}); giving up on this batch`);
        }
        // Jitter: batches that failed together (a receiver down) do not all come back in the same instant.
        const delay = Math.round(wait * (0.5 + Math.random() / 2));
        this.layer.log.warn(`webhook to ${redact(target.hook.url)} failed (${why}); retrying in ${delay} ms`);
        await Bun.sleep(delay);
        if (batch.dropped) return;
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    } finally {
      this.#queued.delete(batch);
    }
  }

  /** One POST within the concurrency cap: undefined when delivered (or dropped meanwhile), else why it failed. */
  async #post(target: Target, batch: Batch, headers: Record<string, string>): Promise<string | undefined> {
    // A finished POST hands its place straight to the next waiter, so the cap holds even against new arrivals.
    if (this.#posting < MAX_CONCURRENT_POSTS) this.#posting++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      if (batch.dropped) return undefined;
      const response = await fetch(target.hook.url, { method: 'POST', headers, body: batch.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await response.arrayBuffer().catch(() => {});
      if (!response.ok) return `HTTP ${response.status}`;
      this.stats.sent++;
      return undefined;
    } catch (error) {
      return describeError(error);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#posting--;
    }
  }

  /** A new batch in the bounded queue: over MAX_QUEUED_BATCHES, the oldest is dropped (logged once per drop, counted). */
  #enqueue(body: string): Batch {
    const batch: Batch = { body, dropped: false };
    this.#queued.add(batch);
    if (this.#queued.size > MAX_QUEUED_BATCHES) {
      const oldest = this.#queued.values().next().value!;
      this.#queued.delete(oldest);
      oldest.dropped = true;
      oldest.body = '';
      this.layer.node.counters.webhooksOverflow++;
      this.layer.log.warn(`webhook queue over ${MAX_QUEUED_BATCHES} batches (receiver down or slow?): dropped the oldest batch`);
    }
    return batch;
  }

  /** Whether a cache_miss webhook for this channel key may go now (once per CACHE_MISS_EVERY_MS); bounded memory. */
  #cacheMissDue(key: string): boolean {
    const now = Date.now();
    for (const [k, at] of this.#cacheMisses) {
      if (now - at < CACHE_MISS_EVERY_MS && this.#cacheMisses.size < CACHE_MISS_CHANNELS) break;
      this.#cacheMisses.delete(k); // expired, or the oldest of too many
    }
    const last = this.#cacheMisses.get(key);
    if (last !== undefined && now - last < CACHE_MISS_EVERY_MS) return false;
    this.#cacheMisses.delete(key);
    this.#cacheMisses.set(key, now);
    return true;
  }
}

/** The URL without query or credentials, for log lines (a receiver may carry a token there). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
