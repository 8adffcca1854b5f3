// The shared half of every multi-node adapter: node ids and fds, liveness by heartbeat, delivery and queries.
// A transport (ipc, redis) supplies only connect/send/discover and feeds what it receives to receive().
import { logger } from '../log/logger';
import type { Adapter, AdapterStatus, Answers, LocalNode, Payload, Query } from './types';
import { fromWire, type Message, queryFromWire, queryToWire, toWire, type WireQuery } from './wire';

/** Node ids live in the low 20 bits of an fd: fd = seq * NODE_SPACE + node. */
export const NODE_SPACE = 2 ** 20;
/** How often a node says it is alive. */
export const HEARTBEAT_MS = 1000;
/** A node silent this long is dropped from every answer and every delivery. */
export const NODE_TIMEOUT_MS = 3500;

interface Peer {
  seen: number;
  /** Its connection count, as of its last heartbeat. */
  connections: number;
}

interface PendingAsk {
  waiting: Set<number>;
  answers: Answers;
  each: ((answer: unknown, node: number) => void) | undefined;
  done: (answers: unknown[]) => void;
}

export abstract class ClusterAdapter implements Adapter {
  abstract readonly driver: AdapterStatus['driver'];
  /** This node's id, 1..NODE_SPACE-1; set by connect(). */
  protected id = 0;
  protected dropped = 0;
  protected up = true;
  /** AdapterStatus.links: a transport that can lose its link counts each time it comes up. */
  protected links = 1;
  protected node: LocalNode | undefined;
  protected readonly log = logger.withTag('adapter');
  readonly #peers = new Map<number, Peer>();
  readonly #asks = new Map<number, PendingAsk>();
  #nextAsk = 1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #renumbering = false;
  #lastTick = Date.now();
  /**
   * Who this process is, beyond its node id: start time and a random tag, fixed width so that comparing the strings
   * compares ages (the younger is greater). Two processes seen with one id (Redis lost its data and handed the id out
   * again) settle it with this: the younger takes a new id.
   */
  protected readonly instance = `${String(Date.now()).padStart(15, '0')}-${crypto.randomUUID().slice(0, 8)}`;

  constructor(protected readonly askTimeoutMs = 2000) {}

  /** Connects the transport and sets `id`. */
  protected abstract connect(): Promise<void>;
  /** Sends to `message.to`, or to every other node. Must not throw: count a drop instead. */
  protected abstract send(message: Message): void;
  /** Nodes alive right now, as [id, connections], so a new node can reach everyone at once. */
  protected abstract discover(): Promise<[number, number][]>;
  protected abstract disconnectTransport(): Promise<void>;
  /** A new id no live node holds, reserved, with the transport listening on it (after a collision). */
  protected abstract renumber(): Promise<number>;
  /** Called with each heartbeat (redis keeps a registry of live nodes). */
  protected beat(): void {}
  /** A publish from another node reached `count` local subscribers (ipc stops asking for topics nobody here wants). */
  protected published(_topic: string, _count: number): void {}

  async start(node: LocalNode): Promise<void> {
    this.node = node;
    await this.connect();
    const now = Date.now();
    for (const [id, connections] of await this.discover()) if (id !== this.id) this.#peers.set(id, { seen: now, connections });
    this.send({ t: 'hello', from: this.id });
    this.#timer = setInterval(() => this.#tick(), HEARTBEAT_MS);
    this.#timer.unref?.();
    this.#heartbeat();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.send({ t: 'bye', from: this.id });
    for (const ask of this.#asks.values()) ask.done(ask.answers);
    await this.disconnectTransport();
  }

  fd(seq: number): number {
    return seq * NODE_SPACE + this.id;
  }

  ownerOf(fd: number): number | undefined {
    return fd >= NODE_SPACE ? fd % NODE_SPACE : undefined;
  }

  #directed(fd: number, message: Message): boolean {
    const owner = this.ownerOf(fd);
    if (owner === undefined || !this.#peers.has(owner)) return false;
    this.send({ ...message, to: owner });
    return true;
  }

  push(fd: number, data: Payload): boolean {
    return this.#directed(fd, { t: 'push', from: this.id, fd, d: toWire(data) });
  }
  disconnect(fd: number, code: number, reason: string): boolean {
    return this.#directed(fd, { t: 'disconnect', from: this.id, fd, code, reason });
  }
  subscribe(fd: number, topic: string): boolean {
    return this.#directed(fd, { t: 'sub', from: this.id, fd, topic });
  }
  unsubscribe(fd: number, topic: string): boolean {
    return this.#directed(fd, { t: 'unsub', from: this.id, fd, topic });
  }
  broadcast(data: Payload, except: readonly number[]): void {
    if (this.#peers.size > 0) this.send({ t: 'bcast', from: this.id, d: toWire(data), except: except as number[] });
  }
  publish(topic: string, data: Payload): void {
    if (this.#peers.size > 0) this.send({ t: 'pub', from: this.id, topic, d: toWire(data) });
  }
  interest(_topic: string): void {}
  tell(data: unknown, to?: number): void {
    if (to === undefined ? this.#peers.size > 0 : this.#peers.has(to)) this.send({ t: 'app', from: this.id, to, d: data });
  }

  ask(query: Query, owner?: number, each?: (answer: unknown, node: number) => void): Promise<Answers> {
    const targets = owner === undefined ? [...this.#peers.keys()] : this.#peers.has(owner) ? [owner] : [];
    if (targets.length === 0) return Promise.resolve([]);
    const id = this.#nextAsk++;
    const { promise, resolve } = Promise.withResolvers<Answers>();
    const timer = setTimeout(() => finish(), this.askTimeoutMs);
    const finish = () => {
      clearTimeout(timer);
      this.#asks.delete(id);
      resolve(pending.answers);
    };
    const pending: PendingAsk = { waiting: new Set(targets), answers: [], each, done: finish };
    this.#asks.set(id, pending);
    this.send({ t: 'ask', from: this.id, to: owner, id, q: queryToWire(query) });
    return promise;
  }

  remoteConnections(): number {
    let n = 0;
    for (const peer of this.#peers.values()) n += peer.connections;
    return n;
  }

  status(): AdapterStatus {
    return { driver: this.driver, state: this.up ? 'up' : 'down', node: this.id, peers: this.#peers.size, dropped: this.dropped, links: this.links };
  }

  /** What a transport received from another node. */
  protected receive(message: Message): void {
    const node = this.node;
    if (message.from === this.id && message.t === 'hb' && message.i !== undefined && message.i !== this.instance) return this.collided(message.i);
    if (!node || message.from === this.id || (message.to !== undefined && message.to !== this.id)) return;
    const peer = this.#peers.get(message.from);
    if (message.t === 'bye') return this.#forget(message.from, 'left');
    if (peer) peer.seen = Date.now();
    else this.#peers.set(message.from, { seen: Date.now(), connections: 0 });
    switch (message.t) {
      case 'hb':
        this.#peers.get(message.from)!.connections = message.n;
        return;
      case 'hello':
        this.#heartbeat(); // so the newcomer learns of us now, not a heartbeat later
        return;
      case 'push':
        node.push(message.fd, fromWire(message.d));
        return;
      case 'disconnect':
        node.disconnect(message.fd, message.code, message.reason);
        return;
      case 'sub':
        node.subscribe(message.fd, message.topic);
        return;
      case 'unsub':
        node.unsubscribe(message.fd, message.topic);
        return;
      case 'bcast':
        node.broadcast(fromWire(message.d), message.except);
        return;
      case 'pub':
        this.published(message.topic, node.publish(message.topic, fromWire(message.d)));
        return;
      case 'app':
        node.told(message.from, message.d);
        return;
      case 'ask':
        this.send({ t: 'answer', from: this.id, to: message.from, id: message.id, a: this.#answer(message.q) });
        return;
      case 'answer': {
        const pending = this.#asks.get(message.id);
        if (!pending || !pending.waiting.delete(message.from)) return;
        pending.answers.push(message.a);
        try {
          pending.each?.(message.a, message.from);
        } catch (error) {
          this.log.error(`handling an answer from node ${message.from} failed: ${(error as Error).message}`);
        }
        if (pending.waiting.size === 0) pending.done(pending.answers);
      }
    }
  }

  #answer(query: WireQuery): unknown {
    try {
      return this.node!.answer(queryFromWire(query));
    } catch (error) {
      this.log.error(`answering ${query.kind} for another node failed: ${(error as Error).message}`);
      return null;
    }
  }

  /** A node is gone (it said bye, its process exited, or it went silent): it leaves every pending answer, counted in `left`. */
  #forget(id: number, why: string): void {
    if (!this.#peers.delete(id)) return;
    // A node that said goodbye is routine (its own process logs why); one that went silent is news.
    const line = `node ${id} ${why}; ${this.#peers.size} other node(s) remain`;
    if (why === 'left') this.log.debug(line);
    else this.log.warn(line);
    for (const pending of this.#asks.values()) {
      if (!pending.waiting.delete(id)) continue;
      pending.answers.left = (pending.answers.left ?? 0) + 1; // it owes no answer: the result is not short by it
      if (pending.waiting.size === 0) pending.done(pending.answers);
    }
    this.node?.nodeLeft(id);
  }

  /**
   * Another process holds our node id (seen in its heartbeat, or in the id's reservation): the younger of the two
   * takes a new id and closes the connections it accepted under the old one (their fds, and the socket ids made of
   * them, name the old id, which now routes to the other process), so their clients reconnect under the new one.
   */
  protected collided(other: string): void {
    if (other > this.instance || this.#renumbering || !this.node) return; // the other is younger: it moves
    this.#renumbering = true;
    const old = this.id;
    this.renumber()
      .then((id) => {
        this.id = id;
        this.node!.renumbered?.(id);
        const fds = (this.node!.answer({ kind: 'connections' }) as number[]).filter((fd) => this.ownerOf(fd) === old);
        this.log.warn(`node id ${old} is also held by an older node; this node is now node ${id} and closes ${fds.length} connection(s) made under ${old} so they reconnect`);
        for (const fd of fds) this.node!.disconnect(fd, 1012, 'Node id changed, reconnect');
        this.send({ t: 'hello', from: this.id });
        this.#heartbeat();
      })
      .catch((error) => this.log.error(`taking a new node id instead of ${old} failed (will retry at the next collision): ${(error as Error).message}`))
      .finally(() => (this.#renumbering = false));
  }

  #heartbeat(): void {
    this.send({ t: 'hb', from: this.id, n: this.node?.connectionCount() ?? 0, i: this.instance });
    this.beat();
  }

  #tick(): void {
    const now = Date.now();
    const stalled = now - this.#lastTick > NODE_TIMEOUT_MS;
    this.#lastTick = now;
    this.#heartbeat();
    // A node whose own link is down, or that was not running itself (a pause, a stalled loop), cannot tell a silent
    // peer from its own deafness: it judges nobody, and gives every peer a full timeout from when it can hear again.
    // Otherwise every node of a cluster would declare every other dead in any Redis outage longer than the timeout.
    if (!this.up || stalled) {
      for (const peer of this.#peers.values()) peer.seen = now;
      return;
    }
    const cutoff = now - NODE_TIMEOUT_MS;
    for (const [id, peer] of this.#peers) if (peer.seen < cutoff) this.#forget(id, `went silent for ${NODE_TIMEOUT_MS} ms`);
  }
}
