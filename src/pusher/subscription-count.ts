// pusher_internal:subscription_count (opt-in per app, never on presence channels): after a channel's subscriptions
// change, its subscribers hear the cluster-wide count — asked once per burst of changes, not once per change.
import type { ResolvedApp } from '../config/schema';
import { frame } from './frames';
import { keyOf } from './registry';

/** Changes within this long of the first one are counted together. */
const BURST_MS = 100;

export interface CountHooks {
  /** Subscriptions to `channel` on every node. */
  count(app: ResolvedApp, channel: string): Promise<number>;
  publish(app: ResolvedApp, channel: string, payload: string): void;
}

export class SubscriptionCounts {
  readonly #counting = new Set<string>();

  constructor(private readonly hooks: CountHooks) {}

  /** A subscription to `channel` came or went. */
  changed(app: ResolvedApp, channel: string): void {
    const key = keyOf(app.id, channel);
    if (this.#counting.has(key)) return;
    this.#counting.add(key);
    setTimeout(async () => {
      this.#counting.delete(key);
      const count = await this.hooks.count(app, channel);
      if (count > 0) this.hooks.publish(app, channel, frame('pusher_internal:subscription_count', JSON.stringify({ subscription_count: count }), channel));
    }, BURST_MS).unref?.();
  }
}
