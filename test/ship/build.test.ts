// Rule: `ody build` compiles a project with ody into one executable that runs with no project folder, reads .env
// (cwd or --root) and the environment at run time; bad input is one line and a non-zero exit.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from '../helpers/client';
import { bareEnv, ensureBinary, project, ROOT, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

/** Every folder a test made: each build leaves a 100+ MB executable behind. */
const made: string[] = [];
const folder = (dir: string) => (made.push(dir), dir);
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const CONTROLLER = `
import type { Frame, WsServer } from '@ody/websocket-server';
import { shout } from '../lib/shout';
export class Echo {
  onMessage(server: WsServer, frame: Frame) { server.push(frame.fd, shout(String(frame.data)) + ' from ' + (process.env.GREETING ?? 'nobody')); }
}
`;
const CONFIG = `
import { defineConfig, env, Event } from '@ody/websocket-server';
import { Echo } from '../app/Echo';
export default defineConfig({
  port: env('WEBSOCKET_PORT', 9502),
  callbacks: { [Event.ON_MESSAGE]: [Echo, 'onMessage'] },
  additional: { workerNum: env('WEBSOCKET_WORKER_COUNT', 1), logLevel: 'info' },
});
`;
const FILES = { 'config/websockets.ts': CONFIG, 'app/Echo.ts': CONTROLLER, 'lib/shout.ts': 'export const shout = (s: string) => s.toUpperCase();\n' };

/** Starts an app binary and resolves with its ws:// URL once it listens. */
async function startApp(binary: string, args: string[], cwd: string, env: Record<string, string>) {
  const proc = Bun.spawn([binary, 'websocket', 'start', ...args], { cwd, env: bareEnv(env), stdout: 'pipe', stderr: 'pipe' });
  let text = '';
  const decoder = new TextDecoder();
  const reader = proc.stdout.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += decoder.decode(r.value, { stream: true });
    const match = /listening on (\S+)/.exec(text);
    if (match) return { url: match[1]!, text, [Symbol.asyncDispose]: async () => (proc.kill(), void (await proc.exited)) };
  }
  throw new Error(`exited: ${text}${await new Response(proc.stderr).text()}`);
}

async function echo(url: string, message: string): Promise<string> {
  using c = await open(url);
  c.send(message);
  return String(await c.next());
}

test('the executable runs with the project folder gone, reading .env from the cwd or --root, the environment winning', async () => {
  const dir = folder(project(FILES));
  const built = await runOdy(['build', '--outfile', 'out/app'], dir);
  expect([built.code, built.stderr]).toEqual([0, '']);
  expect(built.stdout).toMatch(/^built .*out\/app \(\d+ MB, linux-x64\)/);
  const bare = folder(mkdtempSync(join(tmpdir(), 'ody-bare-')));
  const binary = join(bare, 'app');
  copyFileSync(join(dir, 'out/app'), binary);
  rmSync(dir, { recursive: true, force: true }); // config, controller and its imports are inside the binary now
  writeFileSync(join(bare, '.env'), 'WEBSOCKET_PORT=0\nGREETING=dotenv-in-cwd\n');
  await using a = await startApp(binary, [], bare, {});
  expect(a.text).toContain('config: config/websockets.ts (embedded)');
  expect(await echo(a.url, 'hi')).toBe('HI from dotenv-in-cwd');
  const second = folder(mkdtempSync(join(tmpdir(), 'ody-cwd-'))); // its own pid file: one server per project folder
  writeFileSync(join(second, '.env'), 'WEBSOCKET_PORT=0\nGREETING=dotenv-in-cwd\n');
  await using b = await startApp(binary, [], second, { GREETING: 'real-env' });
  expect(await echo(b.url, 'hi')).toBe('HI from real-env');
  const other = folder(mkdtempSync(join(tmpdir(), 'ody-root-')));
  writeFileSync(join(other, '.env'), 'WEBSOCKET_PORT=0\nGREETING=dotenv-in-root\n');
  await using c = await startApp(binary, ['--root', other], bare, {});
  expect(await echo(c.url, 'hi')).toBe('HI from dotenv-in-root');
  // A bad value in .env is still named, at run time, with its variable.
  writeFileSync(join(other, '.env'), 'WEBSOCKET_PORT=99999\n');
  const bad = Bun.spawnSync([binary, 'websocket', 'start', '--root', other], { cwd: bare, env: bareEnv(), stderr: 'pipe' });
  expect([bad.exitCode, bad.stderr.toString()]).toEqual([1, 'ody: config port: expected a port number from 0 to 65535, got 99999 (from WEBSOCKET_PORT)\n']);
}, 60_000);

test('the executable runs workers of itself: 2 workers serve the embedded config', async () => {
  const dir = folder(project(FILES));
  expect((await runOdy(['build'], dir)).code).toBe(0);
  await using app = await startApp(join(dir, 'dist', dir.split('/').pop()!), ['--port', '0'], dir, { WEBSOCKET_WORKER_COUNT: '2', GREETING: 'worker' });
  expect(app.text).toContain('2 workers');
  expect(await echo(app.url, 'a')).toBe('A from worker');
}, 60_000);

test('ody build run from source (bun src/cli/main.ts) compiles the same way', async () => {
  const dir = folder(project(FILES));
  const built = Bun.spawnSync([process.execPath, join(ROOT, 'src/cli/main.ts'), 'build', '--outfile', 'bin/app'], { cwd: dir, env: bareEnv(), stdout: 'pipe', stderr: 'pipe' });
  expect([built.exitCode, built.stderr.toString()]).toEqual([0, '']);
  await using app = await startApp(join(dir, 'bin/app'), ['--port', '0'], dir, { GREETING: 'source' });
  expect(await echo(app.url, 'x')).toBe('X from source');
}, 60_000);

test('bad input: one line, non-zero exit', async () => {
  const empty = folder(project({}));
  expect(await runOdy(['build'], empty)).toEqual({ code: 1, stdout: '', stderr: `ody: no config/websockets.ts in ${empty}: run ody build in a project (ody init makes one) or pass --root\n` });
  const dir = folder(project({ ...FILES, 'lib/shout.ts': 'export const shout = (s: string) => s.toUpperCase(;\n' }));
  const broken = await runOdy(['build'], dir);
  expect([broken.code, broken.stderr.split('\n').length]).toEqual([1, 2]);
  expect(broken.stderr).toMatch(/^ody: build failed: .* at .*lib\/shout\.ts:1:\d+\n$/);
  const target = await runOdy(['build', '--target', 'windows-x64'], dir);
  expect([target.code, target.stderr]).toEqual([2, expect.stringMatching(/^ody: --target: expected one of linux-x64, .*darwin-arm64; got 'windows-x64'\n$/)]);
  const image = await runOdy(['build', '--image', '--target', 'linux-arm64'], dir);
  expect([image.code, image.stderr]).toEqual([2, "ody: --image stages this machine's C libraries (linux-x64); build images without --target, on a linux-arm64 machine\n"]);
});
