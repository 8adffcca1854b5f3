// Rule: with the Redis adapter, two machines of 2 workers each: the synchronous questions answer for this machine (every
// worker of it, none of the other), server.cluster answers for both, and delivery reaches any fd on either.
import { beforeAll, expect, test } from 'bun:test';
import { ensureBinary, project, startOdy, type Ody } from '../helpers/binary';
import { open, type TestClient } from '../helpers/client';
import { redisMissing, startRedis } from '../helpers/redis';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = `
import type { Frame, WsServer } from '@ody/websocket-server';
export class Ctl {
  async onMessage(server: WsServer, f: Frame) {
    const [cmd, arg] = String(f.data).split(' ');
    if (cmd === 'whoami') return void server.push(f.fd, JSON.stringify({ fd: f.fd, worker: server.worker }));
    if (cmd === 'ask') {
      const fd = Number(arg);
      server.push(f.fd, JSON.stringify({
        count: server.count(), fds: [...server.connections].sort((a, b) => a - b), established: server.isEstablished(fd), info: server.getClientInfo(fd)?.worker ?? null,
        clusterCount: await server.cluster.count(), clusterEstablished: await server.cluster.isEstablished(fd), pushed: server.push(fd, 'hello ' + fd),
      }));
    }
  }
}
`;

const config = (url: string) => `
import { defineConfig, Event } from '@ody/websocket-server';
import { Ctl } from '../Ctl';
export default defineConfig({
  port: 0,
  callbacks: { [Event.ON_MESSAGE]: [Ctl, 'onMessage'] },
  adapter: { driver: 'redis', url: '${url}', prefix: 'machines' },
  additional: { workerNum: 2, logLevel: 'info', shutdownTimeout: 2 },
});
`;

interface Client { c: TestClient; fd: number; worker: number }

async function next(c: TestClient, prefix: string): Promise<string> {
  for (;;) {
    const text = String(await c.next(10_000));
    if (text.startsWith(prefix)) return text;
  }
}

/** Clients on one machine until both of its workers hold some. */
async function spread(ody: Ody): Promise<Client[]> {
  const out: Client[] = [];
  while (out.length < 2 || new Set(out.map((x) => x.worker)).size < 2) {
    if (out.length > 30) throw new Error('connections never reached both workers');
    const c = await open(ody.url, out.length % 2 ? { lib: 'ws' } : {});
    c.send('whoami');
    out.push({ c, ...JSON.parse(await next(c, '{')) });
  }
  return out;
}

test.skipIf(redisMissing())('two machines on Redis: sync answers are this machine\'s (all its workers), server.cluster is both\'s', async () => {
  await using redis = await startRedis();
  await using a = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config(redis.url), 'Ctl.ts': CONTROLLER }));
  await using b = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config(redis.url), 'Ctl.ts': CONTROLLER }));
  const onA = await spread(a);
  const onB = await spread(b);
  const asker = onA[0]!;
  const otherWorker = onA.find((x) => x.worker !== asker.worker)!;
  const total = onA.length + onB.length;
  const ask = async (fd: number) => {
    asker.c.send(`ask ${fd}`);
    return JSON.parse(await next(asker.c, '{"count"'));
  };
  // An fd on the other worker of the same machine: known synchronously.
  expect(await ask(otherWorker.fd)).toEqual({
    count: onA.length, fds: onA.map((x) => x.fd).sort((x, y) => x - y), established: true, info: otherWorker.worker,
    clusterCount: total, clusterEstablished: true, pushed: true,
  });
  expect(await next(otherWorker.c, 'hello')).toBe(`hello ${otherWorker.fd}`);
  // An fd on the other machine: not this machine's; the cluster knows it, and a push reaches it.
  const far = onB[0]!;
  expect(await ask(far.fd)).toEqual({
    count: onA.length, fds: onA.map((x) => x.fd).sort((x, y) => x - y), established: false, info: null,
    clusterCount: total, clusterEstablished: true, pushed: true,
  });
  expect(await next(far.c, 'hello')).toBe(`hello ${far.fd}`);
  for (const x of [...onA, ...onB]) x.c.close();
}, 60_000);
