// The local node: this process's sockets (one record per fd, kept on the Bun socket), native delivery, and answers
// about them for other nodes. The serve loop drives it; users see it only through the WsServer facade.
import { hostname } from 'node:os';
import type { Server, ServerWebSocket } from 'bun';
import type { Adapter, LocalNode, NodeExtension, Payload, Query } from '../adapters/types';
import { jsonSafe } from '../adapters/wire';
import { NODE_SPACE } from '../adapters/cluster-adapter';
import { DEFAULT_TABLE } from '../config/schema';
import { Machine } from '../connections/machine';
import { logger } from '../log/logger';
import type { ClientInfo } from './types';

/** The connection record: what ody keeps per fd, as Bun's ws.data. */
export interface Conn {
  fd: number;
  url: string;
  /** The client's address; '' until someone asks (then read from the socket). */
  remoteAddress: string;
  protocol: string;
  connectTime: number;
  /** Per-connection user data; made only when someone sets or reads it. */
  data: Record<string, unknown> | undefined;
  /** The upgrade request, held only until onOpen has seen it. */
  request: Request | undefined;
  /** Set on sockets of the Pusher protocol (/app/{key}): served by src/pusher, never by the user's callbacks. */
  pusher?: unknown;
}

export type Socket = ServerWebSocket<Conn>;

/** Subscribed by every socket once broadcast() is first used, so broadcast stays native (no JS loop over sockets). */
export const ALL_TOPIC = '\u0000ody:all';

export interface Stats {
  pid: number;
  worker: number;
  /** Node id (the low part of this node's fds); 0 with the memory adapter. */
  node: number;
  uptimeMs: number;
  connections: number;
  handshakesPending: number;
  connectionsTotal: number;
  handshakesRejected: number;
  messagesIn: number;
  messagesOut: number;
  /** Payload bytes received from clients. */
  bytesIn: number;
  /** Payload bytes sent or queued to clients; a broadcast or publish counts once per recipient. */
  bytesOut: number;
  /** Pushes Bun dropped because the client was over backpressureLimit (Bun does not report drops inside a topic fan-out). */
  backpressureDrops: number;
  callbackErrors: number;
  /** Webhook batches dropped: the oldest when the queue was full, and those still failing after the retry budget. */
  webhooksOverflow: number;
  webhooksGivenUp: number;
  /** Pusher sockets closed with 4303 for sending more frames than their app's messagesPerSecond. */
  overBudget: number;
  /** Refused handshakes by the HTTP status they got. */
  rejectedByStatus: Record<number, number>;
  rssBytes: number;
  /** The machine and the process group it belongs to (the primary's pid, or its own alone): metrics are per machine. */
  host: string;
  primary: number;
  /** Whether this node's adapter reaches the others. */
  adapterState: 'up' | 'down';
}

const size = (data: Payload | Buffer): number => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);

export class Node implements LocalNode {
  /** Counters behind stats(); the serve loop increments them. */
  readonly counters = { connectionsTotal: 0, handshakesRejected: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, backpressureDrops: 0, callbackErrors: 0, webhooksOverflow: 0, webhooksGivenUp: 0, overBudget: 0 };
  readonly #rejectedByStatus: Record<number, number> = {};
  readonly #sockets = new Map<number, Socket>();
  readonly #pending = new Set<number>();
  readonly #startedAt = Date.now();
  #seq = 0;
  #bun: Server<Conn> | undefined;
  /** Sockets join ALL_TOPIC only once someone broadcasts: until then nobody pays for the subscription. */
  #broadcasting = false;
  #extension: NodeExtension | undefined;

  /**
   * @param primary the pid of the primary this worker belongs to (its own pid when alone).
   * @param machine the shared memory of this machine's workers (a lone process gets its own).
   */
  constructor(
    readonly adapter: Adapter,
    readonly worker = 0,
    readonly primary = process.pid,
    readonly machine: Machine = Machine.alone(DEFAULT_TABLE),
  ) {}

  get bun(): Server<Conn> {
    if (!this.#bun) throw new Error('server is not listening yet');
    return this.#bun;
  }
  attach(bun: Server<Conn>): void {
    this.#bun = bun;
  }

  /** This node's id in the cluster (0 with the memory adapter); fixed once the adapter has started. */
  get id(): number {
    return this.#id || (this.#id = this.adapter.status().node); // 0 until started (and always on memory)
  }
  #id = 0;

  /** The adapter took a new node id (a collision after Redis lost its data): the machine's table learns it too. */
  renumbered(id: number): void {
    this.#id = id;
    this.machine.connections?.setNode(this.worker, id);
  }

  /** A fresh fd, never handed out before by any node of the cluster; with workers, it names a slot of the machine's table. */
  allocateFd(): number {
    const slots = this.machine.connections;
    return slots ? slots.claim(this.#fdOf) : this.adapter.fd(++this.#seq);
  }
  readonly #fdOf = (seq: number) => this.adapter.fd(seq);

  /** The handshake of `fd` was refused or failed: its slot in the machine's table is free again. */
  refused(fd: number): void {
    this.machine.connections?.release(fd);
  }

  /** The layer above this node (the Pusher channels) that answers app queries and hears app messages. */
  extend(extension: NodeExtension): void {
    this.#extension = extension;
  }
  told(from: number, data: unknown): void {
    this.#extension?.told(from, data);
  }
  nodeLeft(id: number): void {
    this.#extension?.nodeLeft(id);
  }

  beginHandshake(fd: number): void {
    this.#pending.add(fd);
  }
  endHandshake(fd: number): void {
    this.#pending.delete(fd);
  }
  opened(ws: Socket): void {
    const d = ws.data;
    this.#sockets.set(d.fd, ws);
    this.counters.connectionsTotal++;
    if (this.#broadcasting && !d.pusher) ws.subscribe(ALL_TOPIC); // broadcast() is raw data: not for Pusher clients
    // A peer that vanished during the upgrade has no address any more: '' rather than undefined.
    this.machine.connections?.open(d.fd, { remoteAddress: (d.remoteAddress ||= ws.remoteAddress ?? ''), protocol: d.protocol, url: d.url, connectTime: d.connectTime });
  }
  closed(fd: number): void {
    this.#sockets.delete(fd);
    this.machine.connections?.release(fd);
  }
  socket(fd: number): Socket | undefined {
    return this.#sockets.get(fd);
  }
  /** An open WebSocket or a handshake in progress on this node. */
  exists(fd: number): boolean {
    return this.#sockets.has(fd) || this.#pending.has(fd);
  }
  /** An open WebSocket on this node. */
  established(fd: number): boolean {
    return this.#sockets.get(fd)?.readyState === 1;
  }

  // -- the machine: every worker of this server, from the shared table (this node alone when there are no workers) --

  /** An open WebSocket or a handshake in progress anywhere on the machine. */
  existsOnMachine(fd: number): boolean {
    const slots = this.machine.connections;
    return this.exists(fd) || (slots !== null && slots.phase(fd) > 0);
  }
  /** An open WebSocket anywhere on the machine. */
  establishedOnMachine(fd: number): boolean {
    const ws = this.#sockets.get(fd);
    if (ws) return ws.readyState === 1;
    const slots = this.machine.connections;
    return slots !== null && slots.phase(fd) === 2;
  }
  /**
   * Worth handing to the adapter: not a socket of this worker, and not an fd of this machine that is closed (the shared
   * table knows at once); fds of other machines are the adapter's to judge.
   */
  elsewhere(fd: number): boolean {
    if (this.#sockets.has(fd)) return false;
    const slots = this.machine.connections;
    return slots === null || !slots.ours(fd) || slots.phase(fd) === 2;
  }
  machineCount(): number {
    return this.machine.connections?.count() ?? this.#sockets.size;
  }
  machineFds(): IterableIterator<number> {
    return this.machine.connections?.fds() ?? this.#sockets.keys();
  }
  /** getClientInfo for any fd of the machine; `data` only for this node's own connections. */
  machineInfo(fd: number): ClientInfo | null {
    const local = this.info(fd);
    if (local) return local;
    const slot = this.machine.connections?.info(fd);
    return slot ? { ...slot, node: fd % NODE_SPACE, data: {} } : null;
  }
  get pendingCount(): number {
    return this.#pending.size;
  }
  connectionCount(): number {
    return this.#sockets.size;
  }
  fds(): IterableIterator<number> {
    return this.#sockets.keys();
  }

  // -- delivery on this node's sockets (LocalNode) --
  push(fd: number, data: Payload): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    this.counters.messagesOut++;
    const sent = ws.send(data) !== 0;
    if (sent) this.counters.bytesOut += size(data);
    else this.counters.backpressureDrops++;
    return sent;
  }

  /** A message came in from a client. */
  received(message: string | Buffer): void {
    this.counters.messagesIn++;
    this.counters.bytesIn += size(message);
  }

  /** A handshake was refused with `status`. */
  rejected(status: number): void {
    this.#rejectedByStatus[status] = (this.#rejectedByStatus[status] ?? 0) + 1;
  }
  disconnect(fd: number, code: number, reason: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    ws.close(code, reason);
    return true;
  }
  subscribe(fd: number, topic: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    ws.subscribe(topic);
    this.#noteTopic(topic);
    this.adapter.interest(topic);
    return true;
  }
  unsubscribe(fd: number, topic: string): boolean {
    const ws = this.#sockets.get(fd);
    if (!ws) return false;
    ws.unsubscribe(topic);
    return true;
  }

  broadcast(data: Payload, except: readonly number[]): number {
    if (!this.#broadcasting) {
      this.#broadcasting = true;
      for (const ws of this.#sockets.values()) if (!ws.data.pusher) ws.subscribe(ALL_TOPIC);
    }
    // Only subscribers of ALL_TOPIC can be skipped or reached (Pusher sockets are neither).
    const skipped: Socket[] = [];
    for (const fd of except) {
      const ws = this.#sockets.get(fd);
      if (ws && !ws.data.pusher) skipped.push(ws);
    }
    const reached = this.bun.subscriberCount(ALL_TOPIC) - skipped.length;
    this.counters.messagesOut += reached;
    this.counters.bytesOut += reached * size(data);
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

  publish(topic: string, data: Payload): number {
    const subscribers = this.bun.subscriberCount(topic);
    this.counters.messagesOut += subscribers;
    this.counters.bytesOut += subscribers * size(data);
    if (subscribers > 0) this.bun.publish(topic, data);
    return subscribers;
  }

  subscriberCount(topic: string): number {
    return this.bun.subscriberCount(topic);
  }

  info(fd: number): ClientInfo | null {
    const ws = this.#sockets.get(fd);
    if (!ws) return null;
    const d = ws.data;
    return { fd: d.fd, remoteAddress: (d.remoteAddress ||= ws.remoteAddress), url: d.url, protocol: d.protocol, connectTime: d.connectTime, worker: this.worker, node: this.id, data: (d.data ??= {}) };
  }

  stats(): Stats {
    return {
      pid: process.pid,
      worker: this.worker,
      node: this.id,
      uptimeMs: Date.now() - this.#startedAt,
      connections: this.#sockets.size,
      handshakesPending: this.#pending.size,
      ...this.counters,
      rejectedByStatus: { ...this.#rejectedByStatus },
      rssBytes: process.memoryUsage.rss(),
      host: hostname(),
      primary: this.primary,
      adapterState: this.adapter.status().state,
    };
  }

  /** Another node's question about this one. Client data is user data: made JSON-safe here, or refused with a log line. */
  answer(query: Query): unknown {
    switch (query.kind) {
      case 'count':
        return this.#sockets.size;
      case 'connections':
        return [...this.#sockets.keys()];
      case 'info':
        return this.#safeInfo(query.fd);
      case 'clients':
        return [...this.#sockets.keys()].map((fd) => this.#safeInfo(fd));
      case 'exist':
        return this.exists(query.fd);
      case 'established':
        return this.established(query.fd);
      case 'topics':
        return this.topics();
      case 'subscribers':
        return this.subscriberCount(query.topic);
      case 'stats':
        return this.stats();
      case 'broadcast':
        return this.broadcast(query.data, query.except);
      case 'publish':
        return this.publish(query.topic, query.data);
      case 'app':
        return this.#extension ? this.#extension.answer(query.q) : null;
    }
  }

  #safeInfo(fd: number): ClientInfo | null {
    const info = this.info(fd);
    if (!info) return null;
    try {
      return { ...info, data: jsonSafe(info.data) as Record<string, unknown> };
    } catch (error) {
      logger.error(`getClientInfo(${fd}) asked by another node: the connection's data cannot be sent (${(error as Error).message}); answering without it`);
      return { ...info, data: {} };
    }
  }

  // -- topic names: Bun counts a topic's subscribers but cannot list topics, so the names are kept here --
  readonly #topicNames = new Set<string>();
  #pruneTopicsAt = 64;

  /** Topics with at least one local subscriber, and how many each has. */
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
    if (this.#topicNames.has(topic)) return;
    this.#topicNames.add(topic);
    if (this.#topicNames.size < this.#pruneTopicsAt) return;
    this.topics();
    this.#pruneTopicsAt = Math.max(64, this.#topicNames.size * 2);
  }
}
