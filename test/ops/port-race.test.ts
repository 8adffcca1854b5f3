// Rule: two projects started on one port at the same moment never share it. Workers bind with reusePort, which
// Linux lets any process of the same user join; the second start waits for the first and then fails clearly.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { open } from '../helpers/client';
import { ensureBinary, HOLD_WORKERS, pidState, project, runOdy } from '../helpers/binary';
import { until } from '../helpers/server';
import { freePort } from '../helpers/tools';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = (name: string) => `export class Ctl { static onMessage(server: any, f: any) { server.push(f.fd, '${name}'); } }\n`;
// While 'hold' exists, workers wait before listening: a primary that has checked its port but whose workers are not up yet.
const CONFIG = (port: number) => `${HOLD_WORKERS}import { Ctl } from '../Ctl';
export default { host: '127.0.0.1', port: ${port}, callbacks: { message: [Ctl, 'onMessage'] }, additional: { workerNum: 2, shutdownTimeout: 1 } };
`;
const heldPids = (dir: string) => [0, 1].flatMap((i) => (existsSync(join(dir, `starting-${i}`)) ? readFileSync(join(dir, `starting-${i}`), 'utf8').split(' ').map(Number) : []));

test('workers=2: a second project starting on a port the first is still starting on gets "address already in use"', async () => {
  const port = freePort();
  const a = project({ 'config/websockets.ts': CONFIG(port), 'Ctl.ts': CONTROLLER('a'), hold: '' });
  const b = project({ 'config/websockets.ts': CONFIG(port), 'Ctl.ts': CONTROLLER('b') });
  const startingA = runOdy(['websocket', 'start', '-d'], a);
  let startingB: ReturnType<typeof runOdy> | undefined;
  try {
    await until(() => existsSync(join(a, 'starting-0')) && existsSync(join(a, 'starting-1')), "a's workers held before listening", 10_000);
    startingB = runOdy(['websocket', 'start', '-d'], b); // b finds the port free: nothing listens on it yet
    await Bun.sleep(1500); // time for b to start its workers and listen, were it not held back
    writeFileSync(join(a, 'go'), '');
    const [startedA, startedB] = await Promise.all([startingA, startingB]);
    expect([startedA.code, startedA.stderr]).toEqual([0, '']);
    expect(startedB.code).not.toBe(0);
    expect(startedB.stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
    for (let i = 0; i < 6; i++) {
      const c = await open(pidState(a).url); // every connection reaches project a: the port is not shared
      c.send('who');
      expect(await c.next()).toBe('a');
      c.close();
    }
    expect((await runOdy(['websocket', 'stop'], a)).code).toBe(0);
  } finally {
    await startingB?.catch(() => undefined);
    for (const dir of [a, b]) {
      const s = existsSync(join(dir, 'storage/ody_websockets.pid')) ? pidState(dir) : undefined;
      for (const pid of [...(s ? [s.pid, ...s.workers] : []), ...heldPids(dir)]) if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
}, 30_000);
