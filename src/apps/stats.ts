// Per-app traffic of this process for the dashboard: messages in and out counted as they happen, sampled every
// SAMPLE_MS into a ring that keeps the last 15 minutes. Each node keeps its own; the dashboard asks every node.

export const SAMPLE_MS = 2000;
const KEEP = (15 * 60 * 1000) / SAMPLE_MS;

/** One sample: when, and per app [open sockets now, messages in and out since the sample before (SAMPLE_MS)]. */
export interface Sample {
  t: number;
  apps: Record<string, [connections: number, messagesIn: number, messagesOut: number]>;
}

export class AppStats {
  readonly #in = new Map<string, number>();
  readonly #out = new Map<string, number>();
  readonly #ring: Sample[] = [];
  readonly #timer: ReturnType<typeof setInterval>;

  /** `connections`: open sockets per app id on this process now. */
  constructor(private readonly connections: () => ReadonlyMap<string, number>) {
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
    this.#timer.unref?.();
  }

  /** A message from a client of the app. */
  received(appId: string): void {
    this.#in.set(appId, (this.#in.get(appId) ?? 0) + 1);
  }

  /** `n` messages delivered to clients of the app on this process. */
  sent(appId: string, n: number): void {
    if (n > 0) this.#out.set(appId, (this.#out.get(appId) ?? 0) + n);
  }

  /** Samples taken after `t` (all of them for 0), oldest first. */
  since(t: number): Sample[] {
    return this.#ring.filter((s) => s.t > t);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const apps: Sample['apps'] = {};
    for (const [id, n] of this.connections()) apps[id] = [n, 0, 0];
    for (const id of new Set([...this.#in.keys(), ...this.#out.keys()])) apps[id] = [apps[id]?.[0] ?? 0, this.#in.get(id) ?? 0, this.#out.get(id) ?? 0];
    this.#in.clear();
    this.#out.clear();
    this.#ring.push({ t: Date.now(), apps });
    if (this.#ring.length > KEEP) this.#ring.shift();
  }
}
