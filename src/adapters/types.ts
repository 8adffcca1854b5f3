// The adapter contract: how one node (a worker, or a machine) reaches the others. Nothing here knows Bun.serve.

/** What a message to sockets can carry. */
export type Payload = string | Uint8Array | ArrayBuffer;

/** Questions a node answers about its own connections (asked of every live node, or of one fd's owner). */
export type Query =
  | { kind: 'count' }
  | { kind: 'connections' }
  | { kind: 'info'; fd: number }
  /** Client info of every connection on the node. */
  | { kind: 'clients' }
  | { kind: 'exist'; fd: number }
  | { kind: 'established'; fd: number }
  | { kind: 'topics' }
  | { kind: 'subscribers'; topic: string }
  | { kind: 'stats' }
  /** Deliver and say how many sockets were reached, for the awaited cluster-wide broadcast/publish. */
  | { kind: 'broadcast'; data: Payload; except: number[] }
  | { kind: 'publish'; topic: string; data: Payload }
  /** A question of the layer above the node (see NodeExtension), carried as is: `q` must be JSON-safe. */
  | { kind: 'app'; q: unknown };

/**
 * A layer above the node (the Pusher channels) that keeps its own per-node state: it is told app messages,
 * answers app queries about its local state, and hears when a node leaves. Registered with Node.extend().
 */
export interface NodeExtension {
  told(from: number, data: unknown): void;
  answer(query: unknown): unknown;
  nodeLeft(id: number): void;
}

/** The node an adapter serves: delivery on its own sockets, answers about them. Implemented by the server. */
export interface LocalNode {
  push(fd: number, data: Payload): boolean;
  disconnect(fd: number, code: number, reason: string): boolean;
  subscribe(fd: number, topic: string): boolean;
  unsubscribe(fd: number, topic: string): boolean;
  /** Sends to every local socket but `except`; returns how many it reached. */
  broadcast(data: Payload, except: readonly number[]): number;
  /** Sends to the local subscribers of `topic`; returns how many. */
  publish(topic: string, data: Payload): number;
  /** Answers a query from local state; the result must be JSON-safe. */
  answer(query: Query): unknown;
  /** Open connections, reported in heartbeats (cluster-wide maxConnections). */
  connectionCount(): number;
  /** An app message from another node (Adapter.tell), for the extension. */
  told(from: number, data: unknown): void;
  /** Another node left (said bye, or went silent): state held for it is stale now. */
  nodeLeft(id: number): void;
  /** This node took a new id (its old one was held by an older process): fds handed out from now on carry it. */
  renumbered?(id: number): void;
}

export type AdapterState = 'up' | 'down';

export interface AdapterStatus {
  driver: 'memory' | 'ipc' | 'redis';
  state: AdapterState;
  /** This node's id (fds it hands out end in it). */
  node: number;
  /** Other nodes heard from within the liveness window. */
  peers: number;
  /** Messages toward other nodes dropped (no live owner, outage, a slow peer). */
  dropped: number;
  /**
   * How many times this node's link to the others came up: 1 once started, one more after each outage. Messages of
   * either direction may have been lost between two values, so state learned from messages is re-read when it moves.
   */
  links: number;
}

/**
 * Answers to Adapter.ask. `left`: nodes asked that left the cluster (said bye, or went silent) before answering —
 * they owe no answer, so a result short by them is still complete. A node still alive that missed the timeout is not
 * counted here: it makes the result incomplete.
 */
export type Answers = unknown[] & { left?: number };

/** Did every node that owes an answer give one? `asked`: the status taken in the turn ask() was called. */
export function answeredAll(asked: AdapterStatus, answers: Answers): boolean {
  return asked.state === 'up' && answers.filter((a) => a !== null).length >= asked.peers - (answers.left ?? 0);
}

/** What the server uses: directed and fan-out delivery to other nodes, and questions with a timeout. */
export interface Adapter {
  readonly driver: AdapterStatus['driver'];
  /** Connects and learns the live nodes; the node serves only after this resolves. */
  start(node: LocalNode): Promise<void>;
  stop(): Promise<void>;
  /** The fd for this node's n-th connection (n from 1): unique across every node of the cluster. */
  fd(seq: number): number;
  /** Forwarded to the owner of `fd`; false when no live node owns it. */
  push(fd: number, data: Payload): boolean;
  disconnect(fd: number, code: number, reason: string): boolean;
  subscribe(fd: number, topic: string): boolean;
  unsubscribe(fd: number, topic: string): boolean;
  /** Delivered by every other node (each once); the local part is the caller's. */
  broadcast(data: Payload, except: readonly number[]): void;
  publish(topic: string, data: Payload): void;
  /** A local socket joined `topic`: publishes to it must reach this node. */
  interest(topic: string): void;
  /** An app message (JSON-safe) to every other node, or to node `to`; delivered at most once, in order per sender. */
  tell(data: unknown, to?: number): void;
  /**
   * Answers of the other nodes (or of the owner of `fd` alone); nodes that miss the timeout are left out.
   * `each` sees every answer as it arrives, with the answering node's id (for decisions that can end early).
   */
  ask(query: Query, owner?: number, each?: (answer: unknown, node: number) => void): Promise<Answers>;
  /** The node owning `fd` (its id), or undefined for fds this adapter never hands out. */
  ownerOf(fd: number): number | undefined;
  /** Connections on the other nodes as of their last heartbeat. */
  remoteConnections(): number;
  status(): AdapterStatus;
}
