// Rule: start -d / status / reload / stop drive a real detached server through its pid file, and nothing is dropped or left behind.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { open } from '../helpers/client';
import { ensureBinary, pidState, project, runOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const controller = (reply: string) => `
import type { Frame, WsServer } from '@ody/websocket-server';
export class Ctl { onMessage(server: WsServer, f: Frame) { server.push(f.fd, '${reply}:' + f.data); } }
`;
const CONFIG = (workers: number) => `
import { defineConfig, Event } from '@ody/websocket-server';
import { Ctl } from '../Ctl';
export default defineConfig({ port: 0, callbacks: { [Event.ON_MESSAGE]: [Ctl, 'onMessage'] }, additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 3 } });
`;

for (const workers of [1, 2]) {
  test(`workers=${workers}: start -d, status, reload keeps clients, broken reload keeps old code, stop sends 1001`, async () => {
    const dir = project({ 'config/websockets.ts': CONFIG(workers), 'Ctl.ts': controller('v1') });
    const started = await runOdy(['websocket', 'start', '-d'], dir);
    expect([started.code, started.stderr]).toEqual([0, '']);
    expect(started.stdout).toMatch(/ody started in the background \(pid \d+\) on ws:\/\/127\.0\.0\.1:\d+/);
    const s = pidState(dir);
    try {
      expect(s.workers).toHaveLength(workers === 1 ? 0 : 2);
      const a = await open(s.url);
      const b = await open(s.url, { lib: 'ws' });
      a.send('x');
      expect(await a.next()).toBe('v1:x');

      const st = await runOdy(['websocket', 'status', '--json'], dir);
      expect(st.code).toBe(0);
      expect(JSON.parse(st.stdout)).toMatchObject({ running: true, pid: s.pid });

      writeFileSync(join(dir, 'Ctl.ts'), controller('v2'));
      const reloaded = await runOdy(['websocket', 'reload'], dir);
      expect([reloaded.code, reloaded.stdout.trim()]).toEqual([0, `ody reloaded (pid ${s.pid})`]);
      a.send('y');
      b.send('z');
      expect([await a.next(), await b.next()]).toEqual(['v2:y', 'v2:z']); // same sockets, new code

      writeFileSync(join(dir, 'Ctl.ts'), `export class Ctl { onMessage( {{ }\n`);
      const broken = await runOdy(['websocket', 'reload'], dir);
      expect(broken.code).not.toBe(0);
      expect(broken.stderr).toMatch(/^ody: reload failed, the previous code keeps serving: .*Ctl\.ts/);
      a.send('still');
      expect(await a.next()).toBe('v2:still');

      const stopped = await runOdy(['websocket', 'stop'], dir);
      expect([stopped.code, stopped.stdout.trim()]).toEqual([0, `ody stopped (pid ${s.pid})`]);
      expect([await a.closed, await b.closed]).toEqual([{ code: 1001, reason: 'server shutting down' }, { code: 1001, reason: 'server shutting down' }]);
      expect(existsSync(join(dir, 'storage/ody_websockets.pid'))).toBe(false);
      await until(() => ![s.pid, ...s.workers].some(isAlive), 'every process gone');
      const log = readFileSync(join(dir, 'storage/logs/ody_websockets.log'), 'utf8');
      expect(log).toMatch(/^\S+Z info (\[primary\] )?ody listening on /m);
    } finally {
      for (const pid of [s.pid, ...s.workers]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
}

test('stop, reload and status with no server or a stale pid file: a clear line and a non-zero exit', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(1), 'Ctl.ts': controller('v1') });
  const none = await runOdy(['websocket', 'stop'], dir);
  expect([none.code, none.stderr.trim()]).toEqual([1, `ody: no server running (no pid file at ${dir}/storage/ody_websockets.pid)`]);
  mkdirSync(join(dir, 'storage'));
  const dead = Bun.spawn(['true']);
  await dead.exited;
  await Bun.sleep(50);
  writeFileSync(join(dir, 'storage/ody_websockets.pid'), JSON.stringify({ pid: dead.pid, startTime: '1', workers: [] }), { flag: 'w' });
  const stale = await runOdy(['websocket', 'reload'], dir);
  expect([stale.code, stale.stderr.trim()]).toEqual([1, `ody: no server running: stale pid file (pid ${dead.pid} in ${dir}/storage/ody_websockets.pid is not running)`]);
  const status = await runOdy(['websocket', 'status'], dir);
  expect([status.code, status.stdout.trim()]).toEqual([3, `ody is not running (stale pid file: pid ${dead.pid} in ${dir}/storage/ody_websockets.pid is not running)`]);
  // A pid that is alive but not ours (this test runner) is not trusted either.
  writeFileSync(join(dir, 'storage/ody_websockets.pid'), JSON.stringify({ pid: process.pid, startTime: '1', workers: [] }));
  const foreign = await runOdy(['websocket', 'stop'], dir);
  expect(foreign.stderr.trim()).toBe(`ody: no server running: stale pid file (pid ${process.pid} in ${dir}/storage/ody_websockets.pid now belongs to another process)`);
});

test('a second start for the same port fails with one line, the first keeps serving', async () => {
  const first = project({ 'config/websockets.ts': CONFIG(2), 'Ctl.ts': controller('one') });
  expect((await runOdy(['websocket', 'start', '-d'], first)).code).toBe(0);
  const s = pidState(first);
  try {
    const port = new URL(s.url).port;
    const second = project({ 'config/websockets.ts': CONFIG(2), 'Ctl.ts': controller('two') });
    const again = await runOdy(['websocket', 'start', '-d', '--port', port], second);
    expect([again.code, again.stderr.trim()]).toEqual([1, `ody: cannot listen on 127.0.0.1:${port}: address already in use (is another server running? try another --port)`]);
    const same = await runOdy(['websocket', 'start', '-d'], first);
    expect(same.stderr.trim()).toBe(`ody: a server is already running for this project (pid ${s.pid}, ${s.url}); stop it first: ody websocket stop`);
    const c = await open(s.url);
    c.send('q');
    expect(await c.next()).toBe('one:q');
  } finally {
    await runOdy(['websocket', 'stop'], first);
  }
}, 60_000);
