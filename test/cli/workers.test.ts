// Rule: with 2 workers every server method works across them, and a killed worker comes back unnoticed by the other's clients.
import { beforeAll, expect, test } from 'bun:test';
import { open, type TestClient } from '../helpers/client';
import { ensureBinary, project, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = `
import type { Frame, OpenRequest, WsServer } from '@ody/websocket-server';
export class Ctl {
  onMessage(server: WsServer, f: Frame) {
    const [cmd, a, ...rest] = String(f.data).split(' ');
    const text = rest.join(' ');
    if (cmd === 'whoami') server.push(f.fd, JSON.stringify({ fd: f.fd, worker: server.getClientInfo(f.fd)?.worker, pid: process.pid }));
    if (cmd === 'push') server.push(Number(a), text);
    if (cmd === 'bcast') server.broadcast(a + (text ? ' ' + text : ''), { except: f.fd });
    if (cmd === 'sub') server.subscribe(Number(a), text);
    if (cmd === 'pub') server.publish(a, text);
    if (cmd === 'info') void (async () => server.push(f.fd, JSON.stringify({ count: await server.cluster.count(), subs: await server.cluster.subscriberCount(a), other: (await server.cluster.getClientInfo(Number(text)))?.worker, established: await server.cluster.isEstablished(Number(text)), connections: (await server.cluster.connections()).sort((x, y) => x - y) })))();
  }
}
`;
const CONFIG = `
import { defineConfig, Event } from '@ody/websocket-server';
import { Ctl } from '../Ctl';
export default defineConfig({ port: 0, callbacks: { [Event.ON_MESSAGE]: [Ctl, 'onMessage'] }, additional: { workerNum: 2, logLevel: 'info', shutdownTimeout: 3 } });
`;

interface Who { fd: number; worker: number; pid: number }

async function whoami(c: TestClient): Promise<Who> {
  c.send('whoami');
  return JSON.parse(String(await c.next()));
}

test('2 workers: spread, cross-worker push, exactly-once broadcast, publish, counts; kill -9 of one worker', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, 'Ctl.ts': CONTROLLER });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const clients: TestClient[] = [];
  const who: Who[] = [];
  // The kernel spreads reusePort connections by hash: open until both workers hold some (16 tries: miss odds 2^-15).
  while (clients.length < 16 && new Set(who.map((w) => w.worker)).size < 2) {
    const c = await open(ody.url, clients.length % 2 ? { lib: 'ws' } : {});
    clients.push(c);
    who.push(await whoami(c));
  }
  expect(new Set(who.map((w) => w.worker))).toEqual(new Set([0, 1]));
  expect(new Set(who.map((w) => w.fd)).size).toBe(who.length); // fds unique across workers
  const a = clients[who.findIndex((w) => w.worker === 0)]!;
  const b = clients[who.findIndex((w) => w.worker === 1)]!;
  const [wa, wb] = [who[clients.indexOf(a)]!, who[clients.indexOf(b)]!];

  a.send(`push ${wb.fd} across`);
  expect(await b.next()).toBe('across');

  a.send(`info none ${wb.fd}`);
  const info = JSON.parse(String(await a.next()));
  expect(info).toEqual({ count: clients.length, subs: 0, other: 1, established: true, connections: who.map((w) => w.fd).sort((x, y) => x - y) });

  a.send('bcast hello all');
  for (const c of clients) if (c !== a) expect(await c.next()).toBe('hello all');

  a.send(`sub ${wb.fd} news`);
  a.send(`sub ${wa.fd} news`);
  await until(async () => (await (await fetch(`${ody.http}/_ody/topics`, { headers: { 'x-api-key': '123123123' } })).json()).topics[0]?.subscribers === 2, 'both subscribed');
  b.send('pub news extra');
  expect([await a.next(), await b.next()]).toEqual(['extra', 'extra']);
  await Bun.sleep(50);
  for (const c of clients) if (c !== a && c !== b) expect(c.messages.filter((m) => m === 'extra')).toEqual([]);
  for (const c of clients) expect(c.messages.filter((m) => m === 'hello all').length).toBe(c === a ? 0 : 1); // exactly once

  // kill -9 worker 1: its clients drop (1006), worker 0's clients carry on, the worker comes back.
  process.kill(wb.pid, 'SIGKILL');
  expect((await b.closed).code).toBe(1006);
  a.send('whoami');
  expect(JSON.parse(String(await a.next()))).toEqual(wa);
  await until(() => /worker 1 is back/.test(ody.output()), 'worker 1 restarted', 10_000);
  let fresh: TestClient | undefined;
  for (let i = 0; i < 16 && !fresh; i++) {
    const c = await open(ody.url);
    const w = await whoami(c);
    if (w.worker === 1) {
      expect(w.pid).not.toBe(wb.pid);
      expect(who.map((x) => x.fd)).not.toContain(w.fd);
      fresh = c;
    }
  }
  expect(fresh).toBeDefined();
  a.send(`bcast after restart`);
  expect(await fresh!.next()).toBe('after restart');
  expect(ody.output()).toMatch(/worker 1 \(pid \d+\) exited with signal SIGKILL; restarting in 100 ms/);
}, 60_000);
