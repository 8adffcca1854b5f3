// Rule: in a project that depends on the package, `npx ody` and `bunx ody` run ody (Bun found in the project or the
// package, not needed on PATH); `ody init` run by the binary from outside the PATH says how to install it.
import { beforeAll, expect, test } from 'bun:test';
import { readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bareEnv, BINARY, ensureBinary, project, ROOT, runOdy } from '../helpers/binary';
import { runTool } from '../helpers/tools';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const BUNX = join(ROOT, 'node_modules', '.bin', 'bunx');
let app = '';
/** A PATH with Node, npm and npx wherever they are installed, and no Bun. */
let env: Record<string, string> = {};

beforeAll(async () => {
  ensureBinary();
  const tools = project({});
  for (const name of ['node', 'npm', 'npx']) symlinkSync(realpathSync(Bun.which(name)!), join(tools, name));
  env = bareEnv({ PATH: `${tools}:/usr/bin:/bin` });
  app = project({ 'package.json': '{ "name": "chat-app", "private": true }\n', '.env': 'WEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=1\n' });
  // As a user adds it (from a folder here: tests stay off the network).
  const npm = await runTool(['npm', 'install', '--no-audit', '--no-fund', '--offline', ROOT], { cwd: app, env, timeoutMs: 60_000 });
  if (npm.code !== 0) throw new Error(`npm install failed: ${npm.stderr}`);
}, 90_000);

test('npx ody runs ody with no bun on PATH', async () => {
  expect(Bun.spawnSync(['sh', '-c', 'command -v bun'], { env }).exitCode).not.toBe(0);
  const version = await runTool(['npx', 'ody', '--version'], { cwd: app, env, timeoutMs: 30_000 });
  expect([version.code, version.stdout, version.stderr]).toEqual([0, `${VERSION}\n`, '']);
  const started = await runTool(['npx', 'ody', 'websocket', 'start', '-d'], { cwd: app, env, timeoutMs: 30_000 });
  try {
    expect(started.code).toBe(0);
    const url = started.stdout.match(/on (ws:\/\/\S+?);/)![1]!;
    expect((await fetch(`${url.replace(/^ws/, 'http')}/health`)).status).toBe(200);
  } finally {
    expect((await runTool(['npx', 'ody', 'websocket', 'stop'], { cwd: app, env, timeoutMs: 30_000 })).code).toBe(0);
  }
}, 60_000);

test('bunx ody runs ody', async () => {
  const version = await runTool([BUNX, 'ody', '--version'], { cwd: app, env, timeoutMs: 30_000 });
  expect([version.code, version.stdout, version.stderr]).toEqual([0, `${VERSION}\n`, '']);
});

test('ody init, run by the binary from outside the PATH, prints how to install it', async () => {
  const { code, stdout } = await runOdy(['init', 'chat'], project({}));
  expect(code).toBe(0);
  expect(stdout).toContain(`ody is not on your PATH yet; to install it: install -Dm755 ${BINARY} ~/.local/bin/ody\n`);
});
