// The ipc adapter: a worker's side of one machine's cluster; the primary relays (src/cluster/hub.ts).
import { ClusterAdapter } from './cluster-adapter';
import type { Message } from './wire';

/** Transport-level messages between a worker and the primary, beside the nodes' own Messages. */
export type HubMessage =
  | { t: 'who'; from: number }
  | { t: 'welcome'; nodes: [number, number][] }
  | { t: 'interest' | 'uninterest'; from: number; topic: string }
  /** Sent by every worker every ALIVE_MS: supervision, and how many messages it has taken in (bounded backlog). */
  | { t: 'alive'; rx: number };

export const ALIVE_MS = 250;

export class IpcAdapter extends ClusterAdapter {
  readonly driver = 'ipc';
  /** Messages taken in from the primary; the primary stops sending when it runs too far ahead of this. */
  received = 0;
  readonly #topics = new Set<string>();
  #welcome: ((nodes: [number, number][]) => void) | undefined;

  constructor(
    id: number,
    private readonly post: (message: Message | HubMessage) => void,
    askTimeoutMs?: number,
  ) {
    super(askTimeoutMs);
    this.id = id;
  }

  protected async connect(): Promise<void> {}
  protected async disconnectTransport(): Promise<void> {}
  /** The primary hands out worker ids, one per worker: they never collide. */
  protected renumber(): Promise<number> {
    return Promise.reject(new Error('ipc node ids are assigned by the primary'));
  }

  protected send(message: Message): void {
    try {
      this.post(message);
    } catch (error) {
      this.dropped++;
      this.log.debug(`ipc send failed: ${(error as Error).message}`);
    }
  }

  protected discover(): Promise<[number, number][]> {
    const { promise, resolve } = Promise.withResolvers<[number, number][]>();
    this.#welcome = resolve;
    setTimeout(() => resolve([]), 2000).unref?.(); // no primary answer: heartbeats will still find everyone
    this.post({ t: 'who', from: this.id });
    return promise;
  }

  /** Everything the primary sends that is not a control request. */
  fromPrimary(message: Message | HubMessage): void {
    this.received++;
    if (message.t === 'welcome') {
      this.#welcome?.(message.nodes);
      this.#welcome = undefined;
    } else if (message.t !== 'who' && message.t !== 'interest' && message.t !== 'uninterest' && message.t !== 'alive') {
      this.receive(message as Message);
    }
  }

  override interest(topic: string): void {
    if (this.#topics.has(topic)) return;
    this.#topics.add(topic);
    this.post({ t: 'interest', from: this.id, topic });
  }

  /** Subscribers left silently (sockets close without telling topics): stop receiving the topic's publishes. */
  protected override published(topic: string, count: number): void {
    if (count > 0 || !this.#topics.delete(topic)) return;
    this.post({ t: 'uninterest', from: this.id, topic });
  }
}
