// WsServer: the server object callbacks receive (Swoole's names), over Bun's sockets and native topics.
import type { Server, ServerWebSocket } from 'bun';
import type { ResolvedConfig } from '../config/schema';
import { FdsTable } from '../connections/fds-table';
import type { ClientInfo } from './types';

/** What ody keeps on each Bun socket (ws.data). */
export interface ConnData {
  fd: number;
  url: string;
  remoteAddress: string;
  protocol: string;
  connectTime: number;
  data: Record<string, unknown>;
  /** The upgrade request, held only until onOpen has seen it. */
  request: Request | undefined;
}

export type Socket = ServerWebSocket<ConnData>;
export type Payload = string | Uint8Array | ArrayBuffer;

/** Every open socket subscribes to this topic so broadcast stays native (no JS loop over sockets). */
export const ALL_TOPIC = '\u0000ody:all';

/**
 * The other workers, as one worker sees them (set only when workerNum > 1): remote fds and
 * counters are mirrored from the primary, remote operations are forwarded to it.
 */
export interface ClusterLink {
  /** Client info of an fd open on another worker. */
  info(fd: number): ClientInfo | undefined;
  fds(): IterableIterator<number>;
  count(): number;
  push(fd: number, data: Payload): boolean;
  disconnect(fd: number, code: number, reason: string): boolean;
  subscribe(fd: number, topic: string): boolean;
  unsubscribe(fd: number, topic: string): boolean;
  /** Forwards a broadcast; returns how many remote sockets it will reach. */
  broadcast(data: Payload, except: number[]): number;
  /** Forwards a publish; returns the remote subscriber count last reported. */
  publish(topic: string, data: Payload): number;
  subscriberCount(topic: string): number;
  opened(info: ClientInfo): void;
  closed(fd: number): void;
  /** A local socket joined `topic` (so the topic's local count gets reported). */
  subscribed(topic: string): void;
  /** Sum of the other workers' counters, as last reported. */
  remoteStats(): Pick<Stats, 'connectionsTotal' | 'handshakesRejected' | 'messagesIn' | 'messagesOut' | 'callbackErrors' | 'rssBytes'>;
}

export interface Stats {
  pid: number;
  worker: number;
  uptimeMs: number;
  connections: number;
  handshakesPending: number;
  connectionsTotal: number;
  handshakesRejected: number;
  messagesIn: number;
  messagesOut: number;
  callbackErrors: number;
  rssBytes: number;
}

export class WsServer {
  /** Connection table the built-in callbacks keep ({ fd, name } per open socket). */
  readonly table = new FdsTable();
  /** Counters behind stats(); the serve loop increments them. */
  readonly counters = { connectionsTotal: 0, handshakesRejected: 0, messagesIn: 0, messagesOut: 0, callbackErrors: 0 };
  readonly #sockets = new Map<number, Socket>();
  readonly #pending = new Set<number>();
  readonly #startedAt = Date.now();
  #bun: Server<ConnData> | undefined;
  #nextFd: number;
  /** The other workers; undefined with one worker, so that mode pays nothing for clustering. */
  link: ClusterLink | undefined;

  /**
   * @param fdStart first fd handed out; @param fdStep distance between fds, so several workers
   * (each with its own start) never hand out the same number.
   */
  constructor(
    public config: ResolvedConfig,
    readonly worker = 0,
    fdStart = 1,
    private readonly fdStep = 1,
  ) {
    this.#nextFd = fdStart;
  }

  /** Bun's server, once listening. */
  get bun(): Server<ConnData> {
    if (!this.#bun) throw new Error('server is not listening yet');
    return this.#bun;
  }

  attach(bun: Server<ConnData>): void {
    this.#bun = bun;
  }

  allocateFd(): number {
    const fd = this.#nextFd;
    this.#nextFd += this.fdStep;
    return fd;
  }

  // -- bookkeeping used by the serve loop --
  beginHandshake(fd: number): void {
    this.#pending.add(fd);
  }
  endHandshake(fd: number): void {
    this.#pending.delete(fd);
  }
  opened(ws: Socket): void {
    this.#sockets.set(ws.data.fd, ws);
    this.counters.connectionsTotal++;
    ws.subscribe(ALL_TOPIC);
    if (this.link) this.link.opened(this.#info(ws.data));
  }
  closed(fd: number): void {
    this.#sockets.delete(fd);
    this.link?.closed(fd);
  }
  socket(fd: number): Socket | undefined {
    return this.#sockets.get(fd);
  }

  // -- the Swoole-named API --

  /** Sends to one connection; false when the fd is not open or the message was dropped (backpressure). */
  push(fd: number, data: Payload): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return this.link?.push(fd, data) ?? false;
    this.counters.messagesOut++;
    return ws.send(data) !== 0;
  }

  /** True while fd is an open WebSocket. */
  isEstablished(fd: number): boolean {
    const ws = this.#sockets.get(fd);
    return ws ? ws.readyState === 1 : this.link?.info(fd) !== undefined;
  }

  /** True while fd is an open WebSocket or a handshake in progress. */
  exist(fd: number): boolean {
    return this.#sockets.has(fd) || this.#pending.has(fd) || this.link?.info(fd) !== undefined;
  }

  /** Closes a connection with a close code (1000 or 3000-4999, as the API) and reason; false when the fd is not open. */
  disconnect(fd: number, code = 1000, reason = ''): boolean {
    // Other codes are reserved for the protocol: sent anyway, clients would see 1006 and nobody the mistake.
    if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) throw new TypeError(`disconnect(): close code must be 1000 or 3000-4999, got ${code}`);
    const ws = this.#sockets.get(fd);
    if (!ws) return this.link?.disconnect(fd, code, reason) ?? false;
    ws.close(code, reason);
    return true;
  }

  /** The fds of established WebSockets (on every worker). */
  get connections(): IterableIterator<number> {
    const link = this.link;
    if (!link) return this.#sockets.keys();
    const local = this.#sockets.keys();
    return (function* () {
      yield* local;
      yield* link.fds();
    })();
  }

  /** Handshakes in progress (async onHandshake still running). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Number of established WebSockets (on every worker). */
  count(): number {
    return this.#sockets.size + (this.link?.count() ?? 0);
  }

  /** Number of established WebSockets owned by this process. */
  localCount(): number {
    return this.#sockets.size;
  }

  localConnections(): IterableIterator<number> {
    return this.#sockets.keys();
  }

  getClientInfo(fd: number): ClientInfo | null {
    const d = this.#sockets.get(fd)?.data;
    if (!d) return this.link?.info(fd) ?? null;
    return this.#info(d);
  }

  #info(d: ConnData): ClientInfo {
    return { fd: d.fd, remoteAddress: d.remoteAddress, url: d.url, protocol: d.protocol, connectTime: d.connectTime, worker: this.worker, data: d.data };
  }

  /** Sends to every open connection except `except`; returns how many it reached. */
  broadcast(data: Payload, options: { except?: number | Iterable<number> } = {}): number {
    const except = options.except === undefined ? [] : typeof options.except === 'number' ? [options.except] : [...options.except];
    const remote = this.link ? this.link.broadcast(data, except) : 0;
    return this.deliverBroadcast(data, except) + remote;
  }

  /** Broadcast to this process's sockets only (the cluster calls it for broadcasts from other workers). */
  deliverBroadcast(data: Payload, except: number[]): number {
    const skipped = except.map((fd) => this.#sockets.get(fd)).filter((ws): ws is Socket => ws !== undefined);
    const reached = this.#sockets.size - skipped.length;
    this.counters.messagesOut += reached;
    if (skipped.length === 0) {
      this.bun.publish(ALL_TOPIC, data);
    } else if (skipped.length === 1) {
      skipped[0]!.publish(ALL_TOPIC, data); // a socket's own publish skips itself
    } else {
      // Several to skip: leave the topic for one synchronous publish, nothing can interleave.
      for (const ws of skipped) ws.unsubscribe(ALL_TOPIC);
      this.bun.publish(ALL_TOPIC, data);
      for (const ws of skipped) ws.subscribe(ALL_TOPIC);
    }
    return reached;
  }

  /** Adds fd to a topic; false when the fd is not open. */
  subscribe(fd: number, topic: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return this.link?.subscribe(fd, checkTopic(topic)) ?? false;
    ws.subscribe(checkTopic(topic));
    this.#noteTopic(topic);
    this.link?.subscribed(topic);
    return true;
  }

  unsubscribe(fd: number, topic: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return this.link?.unsubscribe(fd, checkTopic(topic)) ?? false;
    ws.unsubscribe(checkTopic(topic));
    return true;
  }

  /** Sends to every subscriber of a topic (Bun's native fan-out); returns the subscriber count. */
  publish(topic: string, data: Payload): number {
    checkTopic(topic);
    const remote = this.link ? this.link.publish(topic, data) : 0;
    return this.deliverPublish(topic, data) + remote;
  }

  /** Publish to this process's subscribers only (the cluster calls it for publishes from other workers). */
  deliverPublish(topic: string, data: Payload): number {
    const subscribers = this.bun.subscriberCount(topic);
    this.counters.messagesOut += subscribers;
    if (subscribers > 0) this.bun.publish(topic, data);
    return subscribers;
  }

  subscriberCount(topic: string): number {
    return this.bun.subscriberCount(checkTopic(topic)) + (this.link?.subscriberCount(topic) ?? 0);
  }

  /** Subscribers of a topic in this process only. */
  localSubscriberCount(topic: string): number {
    return this.bun.subscriberCount(topic);
  }

  /** Counters for the whole server: with workers, the others' part is as last reported (within ~250 ms). */
  stats(): Stats {
    const local = this.localStats();
    const remote = this.link?.remoteStats();
    if (!remote) return local;
    for (const key of Object.keys(remote) as (keyof typeof remote)[]) local[key] += remote[key];
    local.connections = this.count();
    return local;
  }

  /** Counters of this process alone. */
  localStats(): Stats {
    return {
      pid: process.pid,
      worker: this.worker,
      uptimeMs: Date.now() - this.#startedAt,
      connections: this.#sockets.size,
      handshakesPending: this.#pending.size,
      ...this.counters,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  // -- topic bookkeeping: Bun counts a topic's subscribers but cannot list topics, so the names are kept here --
  readonly #topicNames = new Set<string>();
  #pruneTopicsAt = 64;

  /** Topics with at least one subscriber, and how many each has. */
  topics(): { topic: string; subscribers: number }[] {
    const out: { topic: string; subscribers: number }[] = [];
    for (const topic of this.#topicNames) {
      const subscribers = this.bun.subscriberCount(topic);
      if (subscribers > 0) out.push({ topic, subscribers });
      else this.#topicNames.delete(topic); // everyone left (or closed): Bun already forgot it
    }
    return out;
  }

  /** Sockets leave topics silently when they close, so names are pruned whenever the set has doubled: amortized O(1). */
  #noteTopic(topic: string): void {
    this.#topicNames.add(topic);
    if (this.#topicNames.size < this.#pruneTopicsAt) return;
    this.topics();
    this.#pruneTopicsAt = Math.max(64, this.#topicNames.size * 2);
  }
}

function checkTopic(topic: string): string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.startsWith('\u0000')) {
    throw new TypeError(`topic must be a non-empty string not starting with NUL, got ${JSON.stringify(topic)}`);
  }
  return topic;
}
