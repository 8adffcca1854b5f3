// Rule: when Redis dies, every node keeps serving its own clients and says it is degraded; when Redis returns,
// cross-node delivery resumes by itself (reconnect, resubscribe), with one log line per change of state.
import { expect, test } from 'bun:test';
import { until } from '../helpers/server';
import { redisMissing } from '../helpers/redis';
import { project, runOdy } from '../helpers/binary';
import { reply, redisFixture, type Member } from './fixtures';

const API = { headers: { 'x-api-key': '123123123' } };
const relayed = (m: Member) => m.client.messages.filter((x) => !String(x).startsWith('{')).map(String);

test.skipIf(redisMissing())('Redis killed and restarted under traffic: local delivery goes on, cross-node delivery comes back', async () => {
  await using f = await redisFixture();
  const members = await f.spread(2);
  const [a, b] = [members[0]!, members.find((m) => m.who.node !== members[0]!.who.node)!];
  const neighbour = members.find((m) => m !== a && m.who.node === a.who.node)!;
  const adapterState = async () => ((await (await fetch(`${f.http}/_ody/stats`, API)).json()) as { adapter: { state: string } }).adapter.state;
  expect(await adapterState()).toBe('up');

  // Traffic while Redis dies: a message every 20 ms from a to everyone.
  let seq = 0;
  const traffic = setInterval(() => a.client.send(`bcast m${++seq}`), 20);
  try {
    await until(() => relayed(b).length > 3, 'cross-node traffic before the outage');
    await f.redis!.kill();
    await until(async () => (await adapterState()) === 'down', 'the node reports the adapter down', 5000);
    const seen = relayed(neighbour).length;
    await until(() => relayed(neighbour).length > seen + 3, 'same-node delivery during the outage');
    await f.redis!.restart();
    await until(async () => (await adapterState()) === 'up', 'the node reconnects by itself', 10_000);
    const before = relayed(b).length;
    await until(() => relayed(b).length > before + 3, 'cross-node delivery after the outage', 10_000);
  } finally {
    clearInterval(traffic);
  }
  // Every node says so once each way; nothing arrived twice (at-most-once while down, never duplicated).
  expect(f.output().match(/redis connection lost/g)?.length).toBe(3);
  expect(f.output().match(/redis connection restored/g)?.length).toBe(3);
  for (const m of [b, neighbour]) {
    const got = relayed(m);
    expect(new Set(got).size).toBe(got.length);
  }
  a.client.send('whoami');
  expect((await reply(a.client, 'whoami')).fd).toBe(a.who.fd);
}, 60_000);

test('Redis unreachable at start: the node refuses to start with one line naming the URL (password hidden)', async () => {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true); // nothing listens there now
  const config = `export default { port: 0, callbacks: {}, adapter: { driver: 'redis', url: 'redis://:hunter2@127.0.0.1:${port}' }, additional: { workerNum: 1 } };`;
  const { code, stdout, stderr } = await runOdy(['websocket', 'start'], project({ 'config/websockets.ts': config }));
  expect(code).toBe(1);
  expect(stderr.trim().split('\n')).toEqual([`ody: cannot reach Redis at redis://:***@127.0.0.1:${port}: ${stderr.split(`${port}: `)[1]?.trim()}`]);
  expect(stdout + stderr).not.toContain('hunter2');
}, 30_000);
