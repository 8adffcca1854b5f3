// Arrival webhooks (member_added, channel_occupied) decided blind are held back until the nodes that hold the key
// agree who sends them: a round that missed answers (this node's link was down, a node missed the timeout) sees
// nobody else, so a user who joined on two nodes during a Redis outage was two member_added. Clients are not held
// back (views.ts keeps their member lists straight); only the webhook is.
//
// Once the link is up and no round of the key runs here, the holder asks every node (transitions.ts, a look) and:
//   - drops it if a node holds the key with its arrival settled (the backend was told), or holds back or vouches
//     for a departure of it (its check finds us and drops the departure: neither is news);
//   - waits while a node with a higher id holds an unsettled arrival too, or a round of the key runs somewhere;
//   - else sends it: one webhook, from the highest id among the blind holders.
// The wait is bounded: after ARRIVAL_HOLD_MS (an outage that long, a node that never answers) it is sent as decided.
// A departure of the key here before that cancels it (nothing was sent, nothing is owed).
import type { ResolvedApp } from '../config/schema';
import type { TransitionAnswer, TransitionQuery } from './transitions';
import type { WebhookPayload } from './webhooks';

/** The longest an arrival webhook waits to be settled before it is sent as decided. */
export const ARRIVAL_HOLD_MS = 60_000;
/** How often an unsettled arrival is checked again. */
const RETRY_MS = 500;

interface Arrival {
  app: ResolvedApp;
  event: WebhookPayload;
  since: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface ArrivalHooks {
  /** Asks every other node; resolves whether every node that owes an answer gave one. */
  ask(query: TransitionQuery, each: (answer: unknown, node: number) => void): Promise<boolean>;
  self(): number;
  /** Is this node's link up, and no round of `key` running here? */
  ready(key: string): boolean;
  /** Holders of `key` on this node. */
  count(key: string): number;
  send(app: ResolvedApp, event: WebhookPayload): void;
  error(message: string): void;
}

export class Arrivals {
  readonly #held = new Map<string, Arrival>();

  constructor(private readonly hooks: ArrivalHooks) {}

  holds(key: string): boolean {
    return this.#held.has(key);
  }

  hold(app: ResolvedApp, key: string, event: WebhookPayload): void {
    this.cancel(key);
    const arrival: Arrival = { app, event, since: Date.now(), timer: undefined };
    this.#held.set(key, arrival);
    this.#later(key, arrival);
  }

  /** Forgets a held arrival of `key`; true if there was one. */
  cancel(key: string): boolean {
    const arrival = this.#held.get(key);
    if (!arrival) return false;
    clearTimeout(arrival.timer);
    this.#held.delete(key);
    return true;
  }

  stop(): void {
    for (const arrival of this.#held.values()) clearTimeout(arrival.timer);
  }

  #later(key: string, arrival: Arrival): void {
    arrival.timer = setTimeout(() => void this.#check(key, arrival).catch((error) => this.hooks.error(`settling ${arrival.event.name} failed: ${(error as Error).message}`)), RETRY_MS);
    arrival.timer.unref?.();
  }

  async #check(key: string, arrival: Arrival): Promise<void> {
    if (this.#held.get(key) !== arrival) return;
    if (Date.now() - arrival.since > ARRIVAL_HOLD_MS) return this.#send(key, arrival);
    if (!this.hooks.ready(key)) return this.#later(key, arrival);
    const self = this.hooks.self();
    let told = false;
    let wait = false;
    const complete = await this.hooks.ask({ p: 'tr', key, from: -1, intent: 'join' }, (raw, node) => {
      const answer = raw as TransitionAnswer | null;
      if (!answer) return;
      if (answer.held) told = true;
      else if (answer.blind) wait ||= node > self;
      else if (answer.phase === 'steady' || answer.phase === 'leaving') told = true;
      else if (answer.phase === 'joining') wait = true;
    });
    if (this.#held.get(key) !== arrival) return;
    if (told || this.hooks.count(key) === 0) return void this.cancel(key);
    if (!complete || wait) return this.#later(key, arrival);
    this.#send(key, arrival);
  }

  #send(key: string, arrival: Arrival): void {
    this.cancel(key);
    this.hooks.send(arrival.app, arrival.event);
  }
}
