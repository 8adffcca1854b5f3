// pusher_internal:subscription_count (opt-in per app, never on presence channels): after a channel's subscriptions
// change, its subscribers hear the cluster-wide count. Changes are collected for a burst and the channels of a burst
// are counted together by name, so each changed channel costs O(1) here and on every node asked.
import type { ResolvedApp } from '../config/schema';
import { frame } from './frames';

/** Changes within this long of the first one are counted together. */
const BURST_MS = 100;

export interface CountHooks {
  /** Subscriptions to each named channel on every node; undefined when some node did not answer (nothing is sent). */
  count(app: ResolvedApp, channels: string[]): Promise<Map<string, number> | undefined>;
  publish(app: ResolvedApp, channel: string, payload: string): void;
  error(error: unknown): void;
}

export class SubscriptionCounts {
  /** Channels changed in the current burst, per app. */
  #changed = new Map<ResolvedApp, Set<string>>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly hooks: CountHooks) {}

  /** A subscription to `channel` came or went. */
  changed(app: ResolvedApp, channel: string): void {
    let set = this.#changed.get(app);
    if (!set) this.#changed.set(app, (set = new Set()));
    set.add(channel);
    this.#timer ??= setTimeout(() => void this.#flush(), BURST_MS);
    this.#timer.unref?.();
  }

  async #flush(): Promise<void> {
    const changed = this.#changed;
    this.#changed = new Map();
    this.#timer = undefined;
    for (const [app, channels] of changed) {
      try {
        const counts = await this.hooks.count(app, [...channels]);
        for (const [channel, count] of counts ?? []) {
          if (count > 0) this.hooks.publish(app, channel, frame('pusher_internal:subscription_count', JSON.stringify({ subscription_count: count }), channel));
        }
      } catch (error) {
        this.hooks.error(error);
      }
    }
  }
}
