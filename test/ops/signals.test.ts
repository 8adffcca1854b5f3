// Rule: stopping is idempotent in every process. systemd (KillMode=control-group) signals the primary and every
// worker at once, and the primary forwards one more: clients still get 1001 and a slow request still gets its
// answer. SIGHUP to the whole group (terminal closed) reloads; it does not kill workers.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { open, type TestClient } from '../helpers/client';
import { bareEnv, ensureBinary, project, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = `
import { existsSync, writeFileSync } from 'node:fs';
export class Ctl {
  static onMessage(server: any, f: any) { server.push(f.fd, 'w' + server.stats().worker); }
  static async onRequest(request: Request) {
    writeFileSync(import.meta.dir + '/entered', '');
    while (!existsSync(import.meta.dir + '/go')) await Bun.sleep(10);
    return new Response('slow done');
  }
}
`;
const CONFIG = (workers: number) => `
import { Ctl } from '../Ctl';
export default { port: 0, callbacks: { message: [Ctl, 'onMessage'], request: [Ctl, 'onRequest'] }, additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 20 } };
`;

/** The binary as the leader of its own process group (as systemd and a terminal run it), with the group to signal. */
async function startGroup(dir: string) {
  const ody = await startOdy(['websocket', 'start'], dir, bareEnv(), { detached: true });
  const state = () => JSON.parse(readFileSync(join(dir, 'storage/ody_websockets.pid'), 'utf8')) as { pid: number; workers: number[] };
  return { ...ody, state, group: (signal: NodeJS.Signals) => process.kill(-ody.proc.pid, signal) };
}

/** Clients until every worker holds one (the kernel spreads reusePort connections; 16 tries). */
async function clientsOnEveryWorker(url: string, workers: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  const seen = new Set<string>();
  while (clients.length < 16 && seen.size < workers) {
    const c = await open(url);
    c.send('which');
    seen.add(String(await c.next()));
    clients.push(c);
  }
  expect(seen.size).toBe(workers);
  return clients;
}

for (const workers of [1, 2]) {
  test(`workers=${workers}: SIGTERM, SIGTERM, SIGINT to the whole group: 1001 for every client, the slow request answered, exit 0`, async () => {
    const dir = project({ 'config/websockets.ts': CONFIG(workers), 'Ctl.ts': CONTROLLER });
    const ody = await startGroup(dir);
    try {
      const clients = await clientsOnEveryWorker(ody.url, workers);
      const slow = fetch(ody.url.replace('ws', 'http') + '/slow').then((r) => r.text(), (e) => `failed: ${e}`);
      await until(() => existsSync(join(dir, 'entered')), 'the slow request in flight');
      ody.group('SIGTERM');
      const closes = await Promise.all(clients.map((c) => c.closed));
      ody.group('SIGTERM'); // systemd's second try, or an impatient operator
      ody.group('SIGINT');
      writeFileSync(join(dir, 'go'), '');
      expect(await slow).toBe('slow done');
      expect(closes).toEqual(clients.map(() => ({ code: 1001, reason: 'server shutting down' })));
      expect(await ody.proc.exited).toBe(0);
      expect(ody.output()).not.toMatch(/exited with signal/);
    } finally {
      if (ody.proc.exitCode === null) ody.group('SIGKILL');
    }
  }, 40_000);
}

test('workers=2: SIGHUP to the whole group (terminal closed) reloads; workers keep running and clients stay', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(2), 'Ctl.ts': CONTROLLER });
  const ody = await startGroup(dir);
  try {
    const before = ody.state().workers;
    const clients = await clientsOnEveryWorker(ody.url, 2);
    ody.group('SIGHUP');
    await until(() => ody.output().includes('reloaded (SIGHUP)'), 'the reload', 10_000);
    for (const c of clients) {
      c.send('which');
      expect(String(await c.next())).toMatch(/^w[01]$/);
    }
    expect([before.every(isAlive), ody.state().workers]).toEqual([true, before]);
    expect(ody.output()).not.toMatch(/exited with signal/);
    ody.group('SIGTERM');
    expect(await ody.proc.exited).toBe(0);
  } finally {
    if (ody.proc.exitCode === null) ody.group('SIGKILL');
  }
}, 40_000);
