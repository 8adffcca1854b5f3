// The memory adapter: one process, no other nodes, so nothing crosses anything and nothing is paid for it.
import type { Adapter, AdapterStatus, Answers, Payload } from './types';

export class MemoryAdapter implements Adapter {
  readonly driver = 'memory';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  /** fds are 1, 2, 3, …: there is no other node to tell apart. */
  fd(seq: number): number {
    return seq;
  }
  push(_fd: number, _data: Payload): boolean {
    return false;
  }
  disconnect(): boolean {
    return false;
  }
  subscribe(): boolean {
    return false;
  }
  unsubscribe(): boolean {
    return false;
  }
  broadcast(): void {}
  publish(): void {}
  interest(): void {}
  tell(): void {}
  async ask(): Promise<Answers> {
    return [];
  }
  ownerOf(): number | undefined {
    return undefined;
  }
  remoteConnections(): number {
    return 0;
  }
  status(): AdapterStatus {
    return { driver: 'memory', state: 'up', node: 0, peers: 0, dropped: 0, links: 1 };
  }
}
