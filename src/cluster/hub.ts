// The primary's side of the ipc adapter: relays each worker's messages to the worker they name, to every other
// worker, or (publishes) only to the workers with subscribers; and never queues without bound toward a slow one.
import type { HubMessage } from '../adapters/ipc';
import type { Message } from '../adapters/wire';
import { logger } from '../log/logger';
import type { ToWorker } from './messages';

/** Messages in flight toward one worker (sent, not yet taken in) beyond which more are dropped and counted. */
export const MAX_BACKLOG = 50_000;

export interface HubPeer {
  /** The worker's node id (a new one at every spawn). */
  node: number;
  send(message: ToWorker): void;
}

interface Member {
  peer: HubPeer;
  /** Its connection count, from its last heartbeat. */
  connections: number;
  sent: number;
  taken: number;
  dropping: boolean;
}

export class Hub {
  readonly #members = new Map<number, Member>();
  readonly #interest = new Map<string, Set<number>>();
  /** Messages dropped toward workers that fell MAX_BACKLOG behind. */
  dropped = 0;

  route(from: HubPeer, message: Message | HubMessage): void {
    let member = this.#members.get(from.node);
    if (!member) {
      member = { peer: from, connections: 0, sent: 0, taken: 0, dropping: false };
      this.#members.set(from.node, member);
    }
    switch (message.t) {
      case 'who': {
        const nodes: [number, number][] = [];
        for (const [id, m] of this.#members) if (id !== from.node) nodes.push([id, m.connections]);
        return this.#send(member, { t: 'welcome', nodes });
      }
      case 'interest':
        return void (this.#interest.get(message.topic) ?? this.#interest.set(message.topic, new Set()).get(message.topic)!).add(from.node);
      case 'uninterest': {
        const nodes = this.#interest.get(message.topic);
        nodes?.delete(from.node);
        if (nodes?.size === 0) this.#interest.delete(message.topic);
        return;
      }
      case 'welcome':
      case 'alive':
        return;
      case 'hb':
        member.connections = message.n;
        break;
      case 'pub': {
        const nodes = this.#interest.get(message.topic);
        if (nodes) for (const id of nodes) if (id !== from.node) this.#to(id, message);
        return;
      }
    }
    if (message.to !== undefined) return this.#to(message.to, message);
    for (const [id, m] of this.#members) if (id !== from.node) this.#send(m, message);
  }

  /** A worker's periodic report of how many messages it has taken in. */
  taken(node: number, count: number): void {
    const member = this.#members.get(node);
    if (member) member.taken = count;
  }

  /** A worker is gone (exited, or stopped answering): the others hear it left, now. */
  leave(node: number): void {
    if (!this.#members.delete(node)) return;
    for (const [topic, nodes] of this.#interest) if (nodes.delete(node) && nodes.size === 0) this.#interest.delete(topic);
    for (const m of this.#members.values()) this.#send(m, { t: 'bye', from: node });
  }

  #to(node: number, message: ToWorker): void {
    const member = this.#members.get(node);
    if (member) this.#send(member, message);
  }

  #send(member: Member, message: ToWorker): void {
    if (member.sent - member.taken >= MAX_BACKLOG) {
      this.dropped++;
      if (!member.dropping) logger.warn(`node ${member.peer.node} is ${MAX_BACKLOG} messages behind; dropping messages to it until it catches up`);
      member.dropping = true;
      return;
    }
    member.dropping = false;
    member.sent++;
    member.peer.send(message);
  }
}
