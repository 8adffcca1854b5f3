// Rule: what crosses between nodes survives the trip: text as is, bytes exactly, BigInt revived; a cycle is refused.
import { expect, test } from 'bun:test';
import { checkPayload, fromWire, jsonSafe, queryFromWire, queryToWire, revive, toWire } from './wire';

test('payloads: text stays text, bytes come back byte for byte (from an offset view too)', () => {
  expect(fromWire(JSON.parse(JSON.stringify(toWire('héllo'))))).toBe('héllo');
  const backing = new Uint8Array([9, 0, 1, 255, 128, 9]);
  const view = backing.subarray(1, 5);
  expect(fromWire(JSON.parse(JSON.stringify(toWire(view))))).toEqual(new Uint8Array([0, 1, 255, 128]));
  expect(fromWire(toWire(new Uint8Array([7, 8]).buffer))).toEqual(new Uint8Array([7, 8]));
});

test('checkPayload refuses what a socket cannot send, naming it', () => {
  expect(() => checkPayload({ a: 1 })).toThrow('data must be a string, Uint8Array or ArrayBuffer, got object');
  expect(() => checkPayload(null)).toThrow('got null');
  expect(checkPayload('x')).toBe('x');
});

test('queries carry their payloads in wire form and back', () => {
  const q = queryFromWire(JSON.parse(JSON.stringify(queryToWire({ kind: 'publish', topic: 't', data: new Uint8Array([1, 2]) }))));
  expect(q).toEqual({ kind: 'publish', topic: 't', data: new Uint8Array([1, 2]) });
  expect(queryToWire({ kind: 'count' })).toEqual({ kind: 'count' });
});

test('user data: BigInt passes and is revived, nested too; a cycle throws at the call', () => {
  const sent = JSON.parse(JSON.stringify(jsonSafe({ id: 10n ** 20n, list: [1n, 'a'], deep: { n: -3n } })));
  expect(revive(sent)).toEqual({ id: 10n ** 20n, list: [1n, 'a'], deep: { n: -3n } });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(() => jsonSafe(cyclic)).toThrow(/cyclic|circular/i);
});
