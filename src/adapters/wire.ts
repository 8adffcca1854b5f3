// What crosses between nodes: the message vocabulary, payloads as JSON-safe values, and user data made safe to send.
import type { Payload, Query } from './types';

/** A payload on the wire: text as is, bytes as base64 (JSON carries no bytes). */
export type Wire = string | { b: string };

export function toWire(data: Payload): Wire {
  if (typeof data === 'string') return data;
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  return { b: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

export function fromWire(wire: Wire): Payload {
  return typeof wire === 'string' ? wire : new Uint8Array(Buffer.from(wire.b, 'base64'));
}

/** Throws a TypeError at the caller when `data` cannot be sent to a socket (an object, a number, …). */
export function checkPayload(data: unknown): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array || data instanceof ArrayBuffer) return data;
  throw new TypeError(`data must be a string, Uint8Array or ArrayBuffer, got ${data === null ? 'null' : typeof data}`);
}

/** A query as sent: payloads inside it in wire form. */
export type WireQuery = Exclude<Query, { kind: 'broadcast' | 'publish' }> | { kind: 'broadcast'; data: Wire; except: number[] } | { kind: 'publish'; topic: string; data: Wire };

export function queryToWire(q: Query): WireQuery {
  return q.kind === 'broadcast' || q.kind === 'publish' ? { ...q, data: toWire(q.data) } : q;
}

export function queryFromWire(q: WireQuery): Query {
  return q.kind === 'broadcast' || q.kind === 'publish' ? { ...q, data: fromWire(q.data) } : q;
}

/**
 * Messages between nodes. `from` is the sender's node id; `to` names one node (absent: every other node).
 * hb: liveness (with the sender's connection count and its instance, see ClusterAdapter.instance); hello: a new node,
 * answered by heartbeats.
 */
export type Message = { from: number; to?: number } & (
  | { t: 'hb'; n: number; i?: string }
  | { t: 'hello' }
  | { t: 'bye' }
  | { t: 'push'; fd: number; d: Wire }
  | { t: 'disconnect'; fd: number; code: number; reason: string }
  | { t: 'sub' | 'unsub'; fd: number; topic: string }
  | { t: 'bcast'; d: Wire; except: number[] }
  | { t: 'pub'; topic: string; d: Wire }
  | { t: 'app'; d: unknown }
  | { t: 'ask'; id: number; q: WireQuery }
  | { t: 'answer'; id: number; a: unknown }
);

const BIGINT = '$ody:bigint';

/**
 * User data (handshake `data` in client info) made JSON-safe: BigInt passes tagged and is revived by
 * revive(); what cannot be sent (a cycle, a function's throwing toJSON) throws here, at the answering call.
 */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? { [BIGINT]: v.toString() } : v)));
}

/** Undoes jsonSafe's tagging. */
export function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(revive);
  const record = value as Record<string, unknown>;
  if (typeof record[BIGINT] === 'string' && Object.keys(record).length === 1) return BigInt(record[BIGINT]);
  for (const key of Object.keys(record)) record[key] = revive(record[key]);
  return record;
}
