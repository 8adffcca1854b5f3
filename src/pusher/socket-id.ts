// Pusher socket ids from ody fds, and back: no table, the id *is* the fd written as Pusher wants it.
import { NODE_SPACE } from '../adapters/cluster-adapter';

/**
 * `digits.digits`, as both server SDKs require: the fd's high part (n, the node's connection counter), a dot,
 * its low part (the node id). Multi-node fds are n * 2^20 + node, so fd 3 * 2^20 + 7 is "3.7"; with the memory
 * adapter fds are plain n, so fd 5 is "0.5". The mapping is a bijection on fds, so socketId and fdOf round-trip.
 */
export function socketId(fd: number): string {
  return `${Math.floor(fd / NODE_SPACE)}.${fd % NODE_SPACE}`;
}

/** The fd a socket id names, or undefined for a string that is not one ody could have handed out. */
export function fdOf(id: unknown): number | undefined {
  if (typeof id !== 'string') return undefined;
  const match = /^(\d{1,9})\.(\d{1,7})$/.exec(id);
  if (!match) return undefined;
  const low = Number(match[2]);
  return low < NODE_SPACE ? Number(match[1]) * NODE_SPACE + low : undefined;
}
