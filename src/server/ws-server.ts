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

  /**
   * @param fdStart first fd handed out; @param fdStep distance between fds, so several workers
   * (each with its own start) never hand out the same number.
   */
  constructor(
    readonly config: ResolvedConfig,
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
  }
  closed(fd: number): void {
    this.#sockets.delete(fd);
  }
  socket(fd: number): Socket | undefined {
    return this.#sockets.get(fd);
  }

  // -- the Swoole-named API --

  /** Sends to one connection; false when the fd is not open or the message was dropped (backpressure). */
  push(fd: number, data: Payload): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    this.counters.messagesOut++;
    return ws.send(data) !== 0;
  }

  /** True while fd is an open WebSocket. */
  isEstablished(fd: number): boolean {
    return this.#sockets.get(fd)?.readyState === 1;
  }

  /** True while fd is an open WebSocket or a handshake in progress. */
  exist(fd: number): boolean {
    return this.#sockets.has(fd) || this.#pending.has(fd);
  }

  /** Closes a connection with a close code and reason; false when the fd is not open. */
  disconnect(fd: number, code = 1000, reason = ''): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    ws.close(code, reason);
    return true;
  }

  /** The fds of established WebSockets. */
  get connections(): IterableIterator<number> {
    return this.#sockets.keys();
  }

  /** Handshakes in progress (async onHandshake still running). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Number of established WebSockets. */
  count(): number {
    return this.#sockets.size;
  }

  getClientInfo(fd: number): ClientInfo | null {
    const d = this.#sockets.get(fd)?.data;
    if (!d) return null;
    return { fd: d.fd, remoteAddress: d.remoteAddress, url: d.url, protocol: d.protocol, connectTime: d.connectTime, worker: this.worker, data: d.data };
  }

  /** Sends to every open connection except `except`; returns how many it reached. */
  broadcast(data: Payload, options: { except?: number | Iterable<number> } = {}): number {
    const except = options.except === undefined ? [] : typeof options.except === 'number' ? [options.except] : [...options.except];
    const skipped = except.map((fd) => this.#sockets.get(fd)).filter((ws): ws is Socket => ws !== undefined);
    const reached = this.count() - skipped.length;
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
    if (!ws) return false;
    ws.subscribe(checkTopic(topic));
    this.#noteTopic(topic);
    return true;
  }

  unsubscribe(fd: number, topic: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    ws.unsubscribe(checkTopic(topic));
    return true;
  }

  /** Sends to every subscriber of a topic (Bun's native fan-out); returns the subscriber count. */
  publish(topic: string, data: Payload): number {
    const subscribers = this.bun.subscriberCount(checkTopic(topic));
    this.counters.messagesOut += subscribers;
    if (subscribers > 0) this.bun.publish(topic, data);
    return subscribers;
  }

  subscriberCount(topic: string): number {
    return this.bun.subscriberCount(checkTopic(topic));
  }

  stats(): Stats {
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
