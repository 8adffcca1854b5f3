// Picks the adapter a node runs on from its config.
import type { ResolvedConfig } from '../config/schema';
import { IpcAdapter, type HubMessage } from './ipc';
import { MemoryAdapter } from './memory';
import { RedisAdapter } from './redis';
import type { Adapter } from './types';
import type { Message } from './wire';

/** A worker's line to its primary: its node id (given by the primary) and how to send. */
export interface IpcLink {
  node: number;
  post(message: Message | HubMessage): void;
}

/** redis when configured; else ipc for a worker of a multi-worker server; else memory (one process). */
export function createAdapter(config: ResolvedConfig, ipc?: IpcLink): Adapter {
  const { driver, url, prefix, requestTimeout } = config.adapter;
  if (driver === 'redis') return new RedisAdapter({ url, prefix, askTimeoutMs: requestTimeout });
  if (ipc) return new IpcAdapter(ipc.node, ipc.post, requestTimeout);
  return new MemoryAdapter();
}
