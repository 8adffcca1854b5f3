// WsServer: the server object callbacks receive (Swoole's names). Delivery is synchronous: native on this node,
// handed to the adapter for the others. Questions that need other nodes are awaited, on `server.cluster`.
import type { AdapterStatus, Payload } from '../adapters/types';
import { checkPayload, revive } from '../adapters/wire';
import type { ResolvedConfig } from '../config/schema';
import { FdsTable } from '../connections/fds-table';
import { Machine } from '../connections/machine';
import { Channels, type TriggerOptions } from '../pusher/server-api';
import type { PusherServer } from '../pusher/server';
import type { Node, Stats } from './node';
import type { ClientInfo } from './types';

export type { Payload };
export type { Stats };

type Except = { except?: number | Iterable<number> };

export class WsServer {
  /** The machine's connection table (Swoole's Table): every worker reads and writes the same rows. The built-in callbacks keep { fd, name } per open socket. */
  readonly table: FdsTable;
  /** The same questions asked of every node of the cluster (other workers, other machines), awaited. */
  readonly cluster: Cluster;
  /** The Pusher channels layer, when `apps` are configured (set by the serve loop). */
  pusher: PusherServer | null = null;
  readonly #node: Node;

  constructor(
    public config: ResolvedConfig,
    node: Node,
  ) {
    this.#node = node;
    this.cluster = new Cluster(node);
    this.table = new FdsTable(node.machine.rows);
    Machine.bind(this, node.machine);
  }

  /** Index of this worker process (0 with one worker). */
  get worker(): number {
    return this.#node.worker;
  }

  /**
   * Sends to one connection, wherever it is; false when it is not open (on this machine that is known at once;
   * elsewhere, when no live node holds it), or when the message was dropped (backpressure).
   */
  push(fd: number, data: Payload): boolean {
    checkPayload(data);
    const node = this.#node;
    return node.push(fd, data) || (node.elsewhere(fd) && node.adapter.push(fd, data));
  }

  /** Closes a connection (on any node) with a close code (1000 or 3000-4999) and reason; false when it is not open. */
  disconnect(fd: number, code = 1000, reason = ''): boolean {
    checkClose(code, reason);
    const node = this.#node;
    return node.disconnect(fd, code, reason) || (node.elsewhere(fd) && node.adapter.disconnect(fd, code, reason));
  }

  /** Adds fd (on any node) to a topic; false when it is not open. */
  subscribe(fd: number, topic: string): boolean {
    checkTopic(topic);
    const node = this.#node;
    return node.subscribe(fd, topic) || (node.elsewhere(fd) && node.adapter.subscribe(fd, topic));
  }

  unsubscribe(fd: number, topic: string): boolean {
    checkTopic(topic);
    const node = this.#node;
    return node.unsubscribe(fd, topic) || (node.elsewhere(fd) && node.adapter.unsubscribe(fd, topic));
  }

  /** Sends to every connection on every node except `except`; returns how many it reached on this node. */
  broadcast(data: Payload, options: Except = {}): number {
    checkPayload(data);
    const except = exceptList(options.except);
    this.#node.adapter.broadcast(data, except);
    return this.#node.broadcast(data, except);
  }

  /** Sends to every subscriber of a topic on every node (native fan-out); returns this node's subscriber count. */
  publish(topic: string, data: Payload): number {
    checkTopic(topic);
    checkPayload(data);
    this.#node.adapter.publish(topic, data);
    return this.#node.publish(topic, data);
  }

  /** Pusher channels (config `apps`): trigger events and inspect channels and presence members, cluster-wide. */
  get channels(): Channels {
    if (!this.pusher) throw new TypeError('no Pusher apps are configured (config `apps`)');
    return (this.#channels ??= new Channels(this.pusher));
  }
  #channels: Channels | undefined;

  /** Sends a Pusher event to a channel's subscribers on every node; `except` is a socket_id. See `channels`. */
  trigger(channel: string | string[], event: string, data: unknown, options: TriggerOptions = {}): void {
    this.channels.trigger(channel, event, data, options);
  }

  // -- questions about this machine (every worker; synchronous, from shared memory); server.cluster asks every node --

  /** True while fd is an open WebSocket on this machine (any worker). */
  isEstablished(fd: number): boolean {
    return this.#node.establishedOnMachine(fd);
  }

  /** True while fd is an open WebSocket or a handshake in progress on this machine (any worker). */
  exist(fd: number): boolean {
    return this.#node.existsOnMachine(fd);
  }

  /** The fds of established WebSockets on this machine (every worker). */
  get connections(): IterableIterator<number> {
    return this.#node.machineFds();
  }

  /** Established WebSockets on this machine (every worker). */
  count(): number {
    return this.#node.machineCount();
  }

  /**
   * What the machine knows of a connection on any of its workers; `data` (set in onHandshake) is the owning
   * worker's alone: another worker sees `{}`. A url longer than fits the shared record is cut there.
   */
  getClientInfo(fd: number): ClientInfo | null {
    return this.#node.machineInfo(fd);
  }

  // -- topics and counters of this worker --

  /** Subscribers of `topic` on this worker (server.cluster.subscriberCount counts every node). */
  subscriberCount(topic: string): number {
    return this.#node.subscriberCount(checkTopic(topic));
  }

  /** Topics with subscribers on this node, and how many each has. */
  topics(): { topic: string; subscribers: number }[] {
    return this.#node.topics();
  }

  /** This node's counters. */
  stats(): Stats {
    return this.#node.stats();
  }
}

/** server.cluster: every question answered by all live nodes (this one included) within the adapter's timeout. */
export class Cluster {
  constructor(readonly node: Node) {}

  /** Which adapter joins the nodes, whether it is connected, and how many other nodes are alive. */
  get adapter(): AdapterStatus {
    return this.node.adapter.status();
  }

  async count(): Promise<number> {
    const others = (await this.node.adapter.ask({ kind: 'count' })) as number[];
    return others.reduce((a, b) => a + (b ?? 0), this.node.connectionCount());
  }

  async connections(): Promise<number[]> {
    const others = (await this.node.adapter.ask({ kind: 'connections' })) as (number[] | null)[];
    return [...this.node.fds(), ...others.flatMap((fds) => fds ?? [])];
  }

  /** Client info of every connection on every node. */
  async clients(): Promise<ClientInfo[]> {
    const others = (await this.node.adapter.ask({ kind: 'clients' })) as (ClientInfo[] | null)[];
    const local = [...this.node.fds()].map((fd) => this.node.info(fd)!);
    return [...local, ...(others.flat().filter((info) => info !== null).map(revive) as ClientInfo[])];
  }

  async getClientInfo(fd: number): Promise<ClientInfo | null> {
    const owner = this.#remoteOwner(fd);
    if (owner === undefined) return this.node.info(fd);
    const [info] = await this.node.adapter.ask({ kind: 'info', fd }, owner);
    return (revive(info) as ClientInfo | undefined) ?? null;
  }

  async exist(fd: number): Promise<boolean> {
    const owner = this.#remoteOwner(fd);
    if (owner === undefined) return this.node.exists(fd);
    return (await this.node.adapter.ask({ kind: 'exist', fd }, owner))[0] === true;
  }

  async isEstablished(fd: number): Promise<boolean> {
    const owner = this.#remoteOwner(fd);
    if (owner === undefined) return this.node.established(fd);
    return (await this.node.adapter.ask({ kind: 'established', fd }, owner))[0] === true;
  }

  async subscriberCount(topic: string): Promise<number> {
    const others = (await this.node.adapter.ask({ kind: 'subscribers', topic: checkTopic(topic) })) as number[];
    return others.reduce((a, b) => a + (b ?? 0), this.node.subscriberCount(topic));
  }

  /** Every topic with subscribers anywhere, with the cluster-wide count. */
  async topics(): Promise<{ topic: string; subscribers: number }[]> {
    const others = (await this.node.adapter.ask({ kind: 'topics' })) as ({ topic: string; subscribers: number }[] | null)[];
    const sum = new Map<string, number>();
    for (const list of [this.node.topics(), ...others]) for (const t of list ?? []) sum.set(t.topic, (sum.get(t.topic) ?? 0) + t.subscribers);
    return [...sum].map(([topic, subscribers]) => ({ topic, subscribers }));
  }

  /** Each live node's counters, this one first. */
  async nodes(): Promise<Stats[]> {
    const others = (await this.node.adapter.ask({ kind: 'stats' })) as (Stats | null)[];
    return [this.node.stats(), ...others.filter((s): s is Stats => s !== null)];
  }

  /** Counters summed over every live node (pid, worker and node are this node's). */
  async stats(): Promise<Stats & { nodes: number }> {
    const [self, ...others] = await this.nodes();
    const total = { ...self!, nodes: 1 + others.length };
    for (const s of others) {
      for (const key of SUMMED) total[key] += s[key];
    }
    return total;
  }

  /** broadcast(), awaited: how many sockets it reached on every node. */
  async broadcast(data: Payload, options: Except = {}): Promise<number> {
    checkPayload(data);
    const except = exceptList(options.except);
    const local = this.node.broadcast(data, except);
    const others = (await this.node.adapter.ask({ kind: 'broadcast', data, except })) as number[];
    return others.reduce((a, b) => a + (b ?? 0), local);
  }

  /** publish(), awaited: how many subscribers it reached on every node. */
  async publish(topic: string, data: Payload): Promise<number> {
    checkTopic(topic);
    checkPayload(data);
    const local = this.node.publish(topic, data);
    const others = (await this.node.adapter.ask({ kind: 'publish', topic, data })) as number[];
    return others.reduce((a, b) => a + (b ?? 0), local);
  }

  #remoteOwner(fd: number): number | undefined {
    const owner = this.node.adapter.ownerOf(fd);
    return owner === undefined || owner === this.node.id ? undefined : owner;
  }
}

const SUMMED = [
  'connections', 'handshakesPending', 'connectionsTotal', 'handshakesRejected', 'messagesIn', 'messagesOut', 'bytesIn', 'bytesOut', 'backpressureDrops', 'callbackErrors', 'rssBytes',
] as const satisfies (keyof Stats)[];

function exceptList(except: Except['except']): number[] {
  return except === undefined ? [] : typeof except === 'number' ? [except] : [...except];
}

function checkTopic(topic: string): string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.startsWith('\u0000')) {
    throw new TypeError(`topic must be a non-empty string not starting with NUL, got ${JSON.stringify(topic)}`);
  }
  return topic;
}

/** Close codes a server may send: 1000, or 3000-4999 (registered and private); reasons fit a control frame. */
function checkClose(code: number, reason: string): void {
  if (!Number.isInteger(code) || !(code === 1000 || (code >= 3000 && code <= 4999))) throw new TypeError(`disconnect(): close code must be 1000 or 3000-4999, got ${code}`);
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) throw new TypeError('disconnect(): close reason must be a string of at most 123 bytes');
}
