// Rule: sockType 'unix' serves from one process (reusePort does not apply to unix sockets): more workers is a
// config error naming the key; the socket's folder is created; a socket file left by a crash is removed when
// nothing answers on it, and a path something listens on is refused.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { ensureBinary, project, runOdy, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const CONFIG = (extra = '') => `export default {
  sockType: 'unix', path: 'run/deep/ody.sock',
  callbacks: { request: () => new Response('over unix') },
  additional: { logLevel: 'info', shutdownTimeout: 1 ${extra} },
};\n`;

const get = (socket: string) => fetch('http://ody/', { unix: socket } as RequestInit).then((r) => r.text());

test('unix: the folder is created; no workerNum means one process; kill -9 leaves a socket file the next start removes', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG() });
  const socket = join(dir, 'run/deep/ody.sock');
  const first = await startOdy(['websocket', 'start'], dir);
  expect(first.output()).toContain(`listening on ws+unix://${socket} (pid ${first.proc.pid}, config:`); // no workers line
  expect(await get(socket)).toBe('over unix');
  first.proc.kill('SIGKILL');
  await first.proc.exited;
  await until(() => !isAlive(first.proc.pid), 'the first server gone');
  expect(existsSync(socket)).toBe(true);
  await using second = await startOdy(['websocket', 'start'], dir);
  expect(await get(socket)).toBe('over unix');
}, 30_000);

test('unix: a path another server listens on is refused, and that server keeps its socket', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG() });
  const other = project({ 'config/websockets.ts': CONFIG().replace("'run/deep/ody.sock'", `'${join(dir, 'run/deep/ody.sock')}'`) });
  await using first = await startOdy(['websocket', 'start'], dir);
  const second = await runOdy(['websocket', 'start'], other);
  expect([second.code, second.stderr]).toEqual([1, `ody: cannot listen on ${join(dir, 'run/deep/ody.sock')}: another server is listening on it (stop it, or choose another path)\n`]);
  expect(await get(join(dir, 'run/deep/ody.sock'))).toBe('over unix');
}, 30_000);

test('unix with workerNum 2 is a config error naming the key', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG(', workerNum: 2') });
  const run = await runOdy(['websocket', 'start'], dir);
  expect([run.code, run.stderr]).toEqual([1, "ody: config additional.workerNum: expected 1 with sockType 'unix' (unix sockets cannot be shared between worker processes), got 2\n"]);
});
