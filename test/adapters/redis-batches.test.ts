// Rule: what a node sends to the others in one turn goes out as few Redis PUBLISHes (one per run of messages to the
// same channel), and every message arrives once, in the order it was sent, also across channels (per-sender order).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { RedisClient } from 'bun';
import { RedisAdapter } from '../../src/adapters/redis';
import type { LocalNode, Payload } from '../../src/adapters/types';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis';
import { captureLogs } from '../helpers/server';

const skip = redisMissing();
let redis: TestRedis;

beforeAll(async () => {
  if (!skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.[Symbol.asyncDispose]();
});

/** A node that records what the adapter hands it, in order. */
function recorder(log: string[]): LocalNode {
  return {
    push: (fd: number, data: Payload) => (log.push(`push ${fd} ${data}`), true),
    disconnect: () => true,
    subscribe: () => true,
    unsubscribe: () => true,
    broadcast: () => 0,
    publish: (topic: string, data: Payload) => (log.push(`pub ${topic} ${data}`), 1),
    answer: () => null,
    connectionCount: () => 0,
    told: (_from: number, data: unknown) => void log.push(`told ${data}`),
    nodeLeft: () => {},
  };
}

test.skipIf(skip)('a turn of tells, publishes and a directed push: batched, once each, in order', async () => {
  using logs = captureLogs();
  const prefix = `batch${Date.now()}`;
  const [seenA, seenB] = [[] as string[], [] as string[]];
  const a = new RedisAdapter({ url: redis.url, prefix });
  const b = new RedisAdapter({ url: redis.url, prefix });
  await a.start(recorder(seenA));
  await b.start(recorder(seenB));
  // A raw subscriber to the shared channel counts the PUBLISHes that carry them.
  const raw = new RedisClient(redis.url);
  const bodies: string[] = [];
  await raw.subscribe(`${prefix}:all`, (text) => void bodies.push(text));
  for (let i = 0; i < 100 && a.status().peers === 0; i++) await Bun.sleep(20); // b's hello reaches a
  expect(a.status().peers).toBe(1);
  await Bun.sleep(50);
  bodies.length = 0;

  const fdOnB = b.fd(7);
  for (let i = 0; i < 40; i++) a.tell(`t${i}`);
  a.push(fdOnB, 'direct'); // another channel (b's own) between two runs on the shared one
  for (let i = 0; i < 20; i++) a.publish('room', `p${i}`);
  a.tell('last');

  const want = [...Array.from({ length: 40 }, (_, i) => `told t${i}`), `push ${fdOnB} direct`, ...Array.from({ length: 20 }, (_, i) => `pub room p${i}`), 'told last'];
  for (let i = 0; i < 100 && seenB.length < want.length; i++) await Bun.sleep(20);
  await Bun.sleep(100); // anything doubled would have arrived by now
  expect(seenB).toEqual(want);
  expect(seenA).toEqual([]); // a node never hears itself
  // 61 messages on the shared channel, in two runs (the push split them): two PUBLISHes, not 61.
  expect(bodies.length).toBe(2);
  expect(bodies.map((body) => JSON.parse(body).length)).toEqual([40, 21]);

  raw.close();
  await a.stop();
  await b.stop();
  expect(logs.lines.filter((line) => !/redis adapter up|node \d+ left/.test(line))).toEqual([]);
});
