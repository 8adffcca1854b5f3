// Rule: two starts of one project at the same moment never both run: an atomic lock beside the pid file
// lets one serve and the other fail with one line; a lock left by a killed server is taken over.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { bareEnv, ensureBinary, project, runOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const CONFIG = (workers: number) => `export default { port: 0, additional: { workerNum: ${workers}, shutdownTimeout: 1 } };\n`;

function spawnStart(dir: string) {
  const proc = Bun.spawn([ensureBinary(), 'websocket', 'start'], { cwd: dir, env: bareEnv(), stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { proc, output };
}

for (const workers of [1, 2]) {
  test(`workers=${workers}: of two simultaneous starts exactly one serves, the other exits 1 with one line`, async () => {
    const dir = project({ 'config/websockets.ts': CONFIG(workers), '.env': 'WEBSOCKET_SECRET_KEY=some-secret-0123456789\n' });
    const a = spawnStart(dir);
    const b = spawnStart(dir);
    try {
      // The loser exits on its own; give it a bounded time.
      const first = await Promise.race([a.proc.exited.then(() => a), b.proc.exited.then(() => b), Bun.sleep(15_000).then(() => undefined)]);
      expect(first).toBeDefined();
      const loser = first!;
      const winner = loser === a ? b : a;
      const [, stderr] = await loser.output;
      expect(loser.proc.exitCode).toBe(1);
      expect(stderr).toMatch(/^ody: a server is already (running|starting) for this project \(pid (\d+)[,)].*stop it first: ody websocket stop\n$/);
      expect(stderr).toContain(`pid ${winner.proc.pid}`);
      expect(winner.proc.exitCode).toBe(null);
      await until(() => existsSync(join(dir, 'storage/ody_websockets.pid')), 'the winner\'s pid file', 10_000);
      expect(JSON.parse(readFileSync(join(dir, 'storage/ody_websockets.pid'), 'utf8')).pid).toBe(winner.proc.pid);
      winner.proc.kill('SIGTERM');
      expect([await winner.proc.exited, (await winner.output).join('')]).toEqual([0, expect.any(String)]);
      expect(existsSync(join(dir, 'storage/ody_websockets.lock'))).toBe(false);
    } finally {
      for (const { proc } of [a, b]) if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  }, 30_000);
}

test('a lock left by a server killed with SIGKILL is taken over by the next start', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(1) });
  const first = spawnStart(dir);
  await until(() => existsSync(join(dir, 'storage/ody_websockets.pid')), 'the first server', 10_000);
  first.proc.kill('SIGKILL');
  await first.proc.exited;
  await until(() => !isAlive(first.proc.pid), 'the first server gone');
  expect(existsSync(join(dir, 'storage/ody_websockets.lock'))).toBe(true);
  const again = await runOdy(['websocket', 'start', '-d'], dir);
  expect([again.code, again.stderr]).toEqual([0, '']);
  expect((await runOdy(['websocket', 'stop'], dir)).code).toBe(0);
}, 30_000);

test("a refused second start -d answers in the terminal only: the running server's log gets nothing of it", async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(1) });
  expect((await runOdy(['websocket', 'start', '-d'], dir)).code).toBe(0);
  try {
    const { pid, url } = JSON.parse(readFileSync(join(dir, 'storage/ody_websockets.pid'), 'utf8'));
    const log = () => readFileSync(join(dir, 'storage/logs/ody_websockets.log'), 'utf8');
    const before = log();
    const again = await runOdy(['websocket', 'start', '-d'], dir);
    expect([again.code, again.stderr]).toEqual([1, `ody: a server is already running for this project (pid ${pid}, ${url}); stop it first: ody websocket stop\n`]);
    expect(log()).toBe(before);
  } finally {
    expect((await runOdy(['websocket', 'stop'], dir)).code).toBe(0);
  }
}, 30_000);
