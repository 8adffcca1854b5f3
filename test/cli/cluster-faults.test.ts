// Rule: with several workers, a stuck worker is bounded and replaced, limits are cluster-wide, and a primary
// whose every worker has failed stops instead of pretending to serve.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDSHAKE_HEADERS, open, type TestClient } from '../helpers/client';
import { ensureBinary, project, runOdy, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';
import { CONTROLLER, reply, whoami } from '../adapters/fixtures';

beforeAll(() => void ensureBinary(), 120_000);

const config = (extra = '') => `
import { defineConfig, Event } from '@ody/websocket-server';
import { Ctl } from '../Ctl';
export default defineConfig({
  port: 0,
  callbacks: { [Event.ON_HAND_SHAKE]: [Ctl, 'onHandshake'], [Event.ON_MESSAGE]: [Ctl, 'onMessage'] },
  additional: { workerNum: 2, logLevel: 'info', shutdownTimeout: 2${extra} },
});
`;

async function onBothWorkers(url: string): Promise<TestClient[]> {
  const byWorker = new Map<number, TestClient>();
  for (let i = 0; i < 32 && byWorker.size < 2; i++) {
    const c = await open(url);
    byWorker.set((await whoami(c)).worker, c);
  }
  return [byWorker.get(0)!, byWorker.get(1)!];
}

test('a SIGSTOPped worker: the primary drops (and counts) what it cannot take instead of buffering, then kills and restarts it', async () => {
  const dir = project({ 'config/websockets.ts': config(), 'Ctl.ts': CONTROLLER });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const [a, b] = await onBothWorkers(ody.url);
  const stuck = await whoami(b!);
  process.kill(stuck.pid, 'SIGSTOP');
  try {
    // 60,000 broadcasts toward a worker that reads none of them: more than the primary may queue for it.
    for (let i = 0; i < 60_000; i++) a!.send('bcast x');
    const status = async () => JSON.parse((await runOdy(['websocket', 'status', '--json'], dir)).stdout) as { ipcDropped: number; workers: { pid: number; state: string }[] };
    await until(async () => (await status()).ipcDropped > 0, 'drops counted while the worker is stopped', 10_000);
    // The live worker stops counting the silent one (3.5 s): /ready says so (a probe that reaches the stopped one times out).
    const ready = async () => {
      try {
        const res = await fetch(`${ody.http}/ready`, { signal: AbortSignal.timeout(300) });
        return `${res.status} ${JSON.stringify(await res.json())}`;
      } catch {
        return 'timeout';
      }
    };
    await until(async () => (await ready()) === '503 {"status":"not ready","reasons":["1 of 2 workers up"]}', '/ready reports the missing worker', 10_000);
    await until(() => /worker 1 \(pid \d+\) has not answered for 5 s; killing it/.test(ody.output()), 'the watchdog kills the stuck worker', 15_000);
    expect((await b!.closed).code).toBe(1006);
    await until(() => /worker 1 is back/.test(ody.output()), 'the worker restarted', 10_000);
    await until(async () => (await ready()) === '200 {"status":"ready"}', '/ready again once both workers are up', 10_000);
    const after = await status();
    expect(after.workers.map((w) => w.state)).toEqual(['running', 'running']);
    expect(after.workers[1]!.pid).not.toBe(stuck.pid);
    a!.send('whoami');
    expect((await reply(a!, 'whoami')).worker).toBe(0); // the other worker served throughout
  } finally {
    try {
      process.kill(stuck.pid, 'SIGKILL');
    } catch {}
  }
}, 60_000);

test('maxConnections is cluster-wide: two workers together admit the limit, not twice it', async () => {
  const dir = project({ 'config/websockets.ts': config(', maxConnections: 10'), 'Ctl.ts': CONTROLLER });
  await using ody = await startOdy(['websocket', 'start'], dir);
  // Up to the limit every handshake is admitted, however the kernel spreads them (each worker's own count plus
  // the other's last-heartbeat count never exceeds what is really open).
  const clients: TestClient[] = [];
  for (let i = 0; i < 10; i++) clients.push(await open(ody.url));
  await Bun.sleep(1200); // one heartbeat: each worker now knows the other's count
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await fetch(ody.http, { headers: HANDSHAKE_HEADERS })).status);
  expect(statuses).toEqual(Array(8).fill(503));
  for (const c of clients) c.close();
}, 30_000);

test('when every worker has failed for good, the primary stops with an error instead of saying it runs', async () => {
  const dir = project({ 'config/websockets.ts': config(), 'Ctl.ts': CONTROLLER });
  const ody = await startOdy(['websocket', 'start'], dir);
  const pidFile = join(dir, 'storage', 'ody_websockets.pid');
  const deadline = Date.now() + 40_000;
  // Kill each worker as soon as it (re)appears, until both are declared crash-looping.
  while (ody.proc.exitCode === null && Date.now() < deadline) {
    if (existsSync(pidFile)) {
      for (const pid of (JSON.parse(readFileSync(pidFile, 'utf8')) as { workers: number[] }).workers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    await Bun.sleep(30);
  }
  expect(await ody.proc.exited).toBe(1);
  expect(ody.output()).toMatch(/every worker has failed: nothing is serving, stopping/);
  expect(existsSync(pidFile)).toBe(false);
}, 60_000);
