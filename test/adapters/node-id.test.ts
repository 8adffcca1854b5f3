// Rule: node ids are unique even when Redis loses its data (a restart without persistence, a failover to an empty
// replica): a node started then may be handed an id a live node holds, and the two must not stay one id — the younger
// takes a new id, says so, and closes the connections it accepted under the old one so their clients reconnect.
// Redis losing its data is FLUSHALL here: unlike a restart it leaves no reconnect race to the test.
import { expect, test } from 'bun:test';
import { RedisClient } from 'bun';
import { project, startOdy } from '../helpers/binary';
import { redisMissing, startRedis } from '../helpers/redis';
import { until } from '../helpers/server';

const API = { headers: { 'x-api-key': '123123123' } };
const adapterOf = async (http: string) => ((await (await fetch(`${http}/_ody/stats`, API)).json()) as { adapter: { node: number; peers: number } }).adapter;

test.skipIf(redisMissing())('a node handed a live node\'s id after Redis lost its data takes a new one and moves its clients', async () => {
  await using redis = await startRedis();
  const config = `export default { port: 0, callbacks: {}, adapter: { driver: 'redis', url: '${redis.url}', prefix: 'ids' }, additional: { workerNum: 1, logLevel: 'info', shutdownTimeout: 1 } };`;
  await using older = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config }));
  const id = (await adapterOf(older.http)).node;
  // Redis forgets everything while the first node cannot renew what it holds (stopped for a moment, as a long GC
  // pause or a busy machine would): a node started now is handed the same id.
  older.proc.kill('SIGSTOP');
  let younger;
  try {
    const admin = new RedisClient(redis.url);
    await admin.send('FLUSHALL', []);
    admin.close();
    younger = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config }));
  } finally {
    older.proc.kill('SIGCONT');
  }
  await using _ = younger;
  expect(younger.output()).toContain(`redis adapter up: node ${id},`);
  const ws = new WebSocket(younger.url);
  const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)));
  await new Promise((resolve) => ws.addEventListener('open', resolve));

  await until(async () => (await adapterOf(younger.http)).node !== id, 'the younger node takes a new id', 10_000);
  expect(await closed).toBe(1012);
  const [a, b] = [await adapterOf(older.http), await adapterOf(younger.http)];
  expect(a.node).toBe(id);
  expect(b.node).not.toBe(id);
  await until(async () => (await adapterOf(older.http)).peers === 1 && (await adapterOf(younger.http)).peers === 1, 'each sees the other');
  expect(younger.output()).toContain(`node id ${id} is also held by an older node; this node is now node ${b.node} and closes 1 connection(s) made under ${id} so they reconnect`);
  expect(older.output()).not.toContain('is also held by an older node');
}, 40_000);
