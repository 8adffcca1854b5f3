// Peers: a worker's view of the other workers — mirrored fds, table and counters; remote calls sent to the primary.
import type { Row } from '../connections/fds-table';
import type { ClientInfo } from '../server/types';
import type { ClusterLink, Payload, WsServer } from '../server/ws-server';
import { fromWire, type Op, type Snapshot, toWire, type WorkerStats } from './messages';

const ZERO = { connectionsTotal: 0, handshakesRejected: 0, messagesIn: 0, messagesOut: 0, callbackErrors: 0, rssBytes: 0 };
/** How often a worker reports its counters; stats() elsewhere lags by at most this. */
export const STATS_INTERVAL_MS = 250;

export class Peers implements ClusterLink {
  readonly #remote = new Map<number, ClientInfo>();
  readonly #stats = new Map<number, WorkerStats>();
  readonly #topics = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly server: WsServer,
    private readonly send: (op: Op) => void,
  ) {
    server.table.onChange = (key, row) => send({ t: 'table', key, row });
  }

  /** Starts periodic stats reports. */
  start(): void {
    const report = () => this.send({ t: 'stats', worker: this.server.worker, stats: this.#localStats() });
    report();
    this.#timer = setInterval(report, STATS_INTERVAL_MS);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #localStats(): WorkerStats {
    const s = this.server.localStats();
    const topics: Record<string, number> = {};
    for (const topic of this.#topics) {
      const n = this.server.localSubscriberCount(topic);
      if (n > 0) topics[topic] = n;
      else this.#topics.delete(topic);
    }
    const { connectionsTotal, handshakesRejected, messagesIn, messagesOut, callbackErrors, rssBytes, connections } = s;
    return { connectionsTotal, handshakesRejected, messagesIn, messagesOut, callbackErrors, rssBytes, connections, topics };
  }

  /** Applies what another worker did (routed here by the primary). */
  apply(op: Op | Snapshot): void {
    const server = this.server;
    switch (op.t) {
      case 'push':
        server.push(op.fd, fromWire(op.data));
        break;
      case 'disconnect':
        server.disconnect(op.fd, op.code, op.reason);
        break;
      case 'subscribe':
        server.subscribe(op.fd, op.topic);
        break;
      case 'unsubscribe':
        server.unsubscribe(op.fd, op.topic);
        break;
      case 'broadcast':
        server.deliverBroadcast(fromWire(op.data), op.except);
        break;
      case 'publish':
        server.deliverPublish(op.topic, fromWire(op.data));
        break;
      case 'open':
        this.#remote.set(op.info.fd, op.info);
        break;
      case 'close':
        this.#remote.delete(op.fd);
        break;
      case 'table':
        server.table.applyRemote(op.key, op.row as Row | undefined);
        break;
      case 'stats':
        if (op.worker !== server.worker) this.#stats.set(op.worker, op.stats);
        break;
      case 'snapshot':
        for (const info of op.connections) if (info.worker !== server.worker) this.#remote.set(info.fd, info);
        for (const [key, row] of op.table) server.table.applyRemote(key, row);
        for (const { worker, stats } of op.stats) if (worker !== server.worker) this.#stats.set(worker, stats);
        break;
    }
  }

  // -- ClusterLink --
  info(fd: number): ClientInfo | undefined {
    return this.#remote.get(fd);
  }
  fds(): IterableIterator<number> {
    return this.#remote.keys();
  }
  count(): number {
    return this.#remote.size;
  }
  push(fd: number, data: Payload): boolean {
    if (!this.#remote.has(fd)) return false;
    this.send({ t: 'push', fd, data: toWire(data) });
    return true;
  }
  disconnect(fd: number, code: number, reason: string): boolean {
    if (!this.#remote.has(fd)) return false;
    this.send({ t: 'disconnect', fd, code, reason });
    return true;
  }
  subscribe(fd: number, topic: string): boolean {
    if (!this.#remote.has(fd)) return false;
    this.send({ t: 'subscribe', fd, topic });
    return true;
  }
  unsubscribe(fd: number, topic: string): boolean {
    if (!this.#remote.has(fd)) return false;
    this.send({ t: 'unsubscribe', fd, topic });
    return true;
  }
  broadcast(data: Payload, except: number[]): number {
    this.send({ t: 'broadcast', data: toWire(data), except });
    return this.#remote.size - except.filter((fd) => this.#remote.has(fd)).length;
  }
  publish(topic: string, data: Payload): number {
    this.send({ t: 'publish', topic, data: toWire(data) });
    return this.subscriberCount(topic);
  }
  subscriberCount(topic: string): number {
    let n = 0;
    for (const s of this.#stats.values()) n += s.topics[topic] ?? 0;
    return n;
  }
  opened(info: ClientInfo): void {
    this.send({ t: 'open', info });
  }
  closed(fd: number): void {
    this.send({ t: 'close', fd });
  }
  subscribed(topic: string): void {
    this.#topics.add(topic);
  }
  remoteStats() {
    const sum = { ...ZERO };
    for (const s of this.#stats.values()) for (const key of Object.keys(ZERO) as (keyof typeof ZERO)[]) sum[key] += s[key];
    return sum;
  }
}
