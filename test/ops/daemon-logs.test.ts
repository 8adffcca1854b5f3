// Rule: in daemon mode everything lands in the current log file after logrotate's SIGUSR2, crash traces of the
// daemon and its workers included; and a SIGUSR2 that arrives while workers are still starting kills nothing.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { open } from '../helpers/client';
import { ensureBinary, HOLD_WORKERS, pidState, project, runOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = `
import { logger } from '@ody/websocket-server';
export class Ctl {
  static onMessage(server: any, f: any) {
    if (f.data === 'crash') setTimeout(() => { throw new Error('boom-trace-marker'); });
    else logger.info('note from the controller: ' + f.data);
    server.push(f.fd, 'ok');
  }
}
`;
// Workers wait for 'go' while 'hold' exists, after saying so: a worker still starting.
const CONFIG = (workers: number) => `${HOLD_WORKERS}import { Ctl } from '../Ctl';
export default { port: 0, callbacks: { message: [Ctl, 'onMessage'] }, additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 1 } };
`;

const log = (dir: string, name = 'ody_websockets.log') => readFileSync(join(dir, 'storage/logs', name), 'utf8');

for (const workers of [1, 2]) {
  test(`workers=${workers}: after the log is rotated and SIGUSR2 sent, a crash trace goes to the new log`, async () => {
    const dir = project({ 'config/websockets.ts': CONFIG(workers), 'Ctl.ts': CONTROLLER });
    expect((await runOdy(['websocket', 'start', '-d'], dir)).code).toBe(0);
    const s = pidState(dir);
    try {
      renameSync(join(dir, 'storage/logs/ody_websockets.log'), join(dir, 'storage/logs/rotated.log'));
      process.kill(s.pid, 'SIGUSR2');
      await until(() => existsSync(join(dir, 'storage/logs/ody_websockets.log')), 'the log reopened');
      const c = await open(s.url);
      c.send('crash');
      if (workers === 1) await until(() => !isAlive(s.pid), 'the crashed daemon gone', 10_000);
      else await until(() => log(dir).includes('restarting in'), 'the worker restarted', 10_000);
      expect(log(dir)).toContain('boom-trace-marker');
      expect(log(dir, 'rotated.log')).not.toContain('boom-trace-marker');
    } finally {
      for (const pid of [s.pid, ...s.workers]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
}

test('workers=2: SIGUSR2 while the workers are still starting kills nothing, and they write to the new log once ready', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(2), 'Ctl.ts': CONTROLLER, hold: '' });
  const starting = runOdy(['websocket', 'start', '-d'], dir);
  let pid = 0;
  try {
    await until(() => existsSync(join(dir, 'starting-0')) && existsSync(join(dir, 'starting-1')), 'both workers starting', 10_000);
    const [primary, worker0] = readFileSync(join(dir, 'starting-0'), 'utf8').split(' ').map(Number);
    const worker1 = Number(readFileSync(join(dir, 'starting-1'), 'utf8').split(' ')[1]);
    pid = primary!;
    renameSync(join(dir, 'storage/logs/ody_websockets.log'), join(dir, 'storage/logs/rotated.log'));
    for (const each of [primary!, worker0!, worker1]) process.kill(each, 'SIGUSR2'); // as a logrotate script signalling the whole group would
    await until(() => existsSync(join(dir, 'storage/logs/ody_websockets.log')), 'the primary reopened its log');
    writeFileSync(join(dir, 'go'), '');
    const started = await starting;
    expect([started.code, started.stderr]).toEqual([0, '']);
    const s = pidState(dir);
    const c = await open(s.url);
    c.send('hello-after-rotation');
    expect(await c.next()).toBe('ok');
    await until(() => log(dir).includes('note from the controller: hello-after-rotation'), 'the worker line in the new log');
    expect(log(dir, 'rotated.log')).not.toContain('hello-after-rotation');
    expect(log(dir) + log(dir, 'rotated.log')).not.toMatch(/exited/);
    expect((await runOdy(['websocket', 'stop'], dir)).code).toBe(0);
  } finally {
    const workers = [0, 1].flatMap((i) => (existsSync(join(dir, `starting-${i}`)) ? [Number(readFileSync(join(dir, `starting-${i}`), 'utf8').split(' ')[1])] : []));
    for (const each of [pid, ...workers]) if (each && isAlive(each)) process.kill(each, 'SIGKILL'); // a worker held at the gate outlives its primary
  }
}, 30_000);
