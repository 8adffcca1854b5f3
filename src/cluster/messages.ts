// The IPC vocabulary between the primary and its workers (JSON over Bun's ipc channel).
import type { Row } from '../connections/fds-table';
import type { ClientInfo } from '../server/types';
import type { Payload, Stats } from '../server/ws-server';

/** A payload on the wire: JSON carries text as is and bytes as base64. */
export type Wire = { s: string } | { b: string };

export function toWire(data: Payload): Wire {
  if (typeof data === 'string') return { s: data };
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  return { b: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

export function fromWire(wire: Wire): Payload {
  return 's' in wire ? wire.s : new Uint8Array(Buffer.from(wire.b, 'base64'));
}

export type WorkerStats = Pick<Stats, 'connectionsTotal' | 'handshakesRejected' | 'messagesIn' | 'messagesOut' | 'callbackErrors' | 'rssBytes' | 'connections'> & {
  /** Local subscriber count per topic, for cluster-wide subscriberCount. */
  topics: Record<string, number>;
};

/** Operations one worker asks of the others; the primary routes them. */
export type Op =
  | { t: 'push'; fd: number; data: Wire }
  | { t: 'disconnect'; fd: number; code: number; reason: string }
  | { t: 'subscribe' | 'unsubscribe'; fd: number; topic: string }
  | { t: 'broadcast'; data: Wire; except: number[] }
  | { t: 'publish'; topic: string; data: Wire }
  | { t: 'open'; info: ClientInfo }
  | { t: 'close'; fd: number }
  | { t: 'table'; key: string; row?: Row }
  | { t: 'stats'; worker: number; stats: WorkerStats };

/** Control requests from the primary, answered with a Reply of the same id. */
export type Control = { t: 'control'; id: number; op: 'reload-prepare' | 'reload-commit' | 'reload-abort' | 'stats' };
export type Reply = { t: 'reply'; id: number; ok: boolean; error?: string; restartNeeded?: string[]; stats?: unknown };

/** Sent to a (re)started worker so its mirrors start complete. */
export type Snapshot = { t: 'snapshot'; connections: ClientInfo[]; table: [string, Row][]; stats: { worker: number; stats: WorkerStats }[] };

export type ToPrimary = Op | Reply | { t: 'ready'; url: string } | { t: 'fatal'; error: string };
export type ToWorker = Op | Control | Snapshot;

/** The worker that owns an fd: worker i hands out fds i+1, i+1+N, i+1+2N, … */
export function ownerOf(fd: number, workers: number): number {
  return (fd - 1) % workers;
}
