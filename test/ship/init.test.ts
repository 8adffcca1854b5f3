// Rule: `ody init` writes a project that runs and passes its own test under the bare binary, prints how to run and
// test it, and never overwrites: a refused init changes nothing and says so in one line.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareEnv, ensureBinary, ROOT, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const FILES = ['.dockerignore', '.env.example', '.gitignore', 'Dockerfile', 'app/AppController.ts', 'config/websockets.ts', 'deploy/ody.service', 'test/app.test.ts'];

function listFiles(dir: string): string[] {
  return [...new Bun.Glob('**/*').scanSync({ cwd: dir, dot: true })].sort();
}

test('init [dir] writes the project and prints the commands to run and test it; its own test passes under the binary', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'ody-init-'));
  const { code, stdout, stderr } = await runOdy(['init', 'chat'], parent);
  expect([code, stderr]).toEqual([0, '']);
  const dir = join(parent, 'chat');
  expect(listFiles(dir)).toEqual(FILES);
  expect(stdout).toContain('\n  cd chat\n  ody websocket start ');
  expect(stdout).toContain('\n  BUN_BE_BUN=1 ody test ');
  // The very Dockerfile and .env.example of ody's repository; the unit is named after the project.
  expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  expect(readFileSync(join(dir, '.env.example'), 'utf8')).toBe(readFileSync(join(ROOT, '.env.example'), 'utf8'));
  expect(readFileSync(join(dir, 'deploy/ody.service'), 'utf8')).toContain('ExecStart=/usr/local/bin/chat websocket start');
  const controller = readFileSync(join(dir, 'app/AppController.ts'), 'utf8');
  for (const hook of ['onHandshake', 'onOpen', 'onMessage', 'onClose', 'onDisconnect', 'onRequest']) expect(controller).toMatch(new RegExp(`/\\*\\*[^\\n]*\\*/\\n  ${hook}\\(`));
  // "BUN_BE_BUN=1 ody test", as printed: the Bun inside the binary runs the project's test, which starts the project.
  const run = Bun.spawnSync([ensureBinary(), 'test'], { cwd: dir, env: bareEnv({ BUN_BE_BUN: '1' }), stdout: 'pipe', stderr: 'pipe', timeout: 60_000 });
  expect([run.exitCode, run.stderr.toString()]).toEqual([0, expect.stringContaining('1 pass')]);
  rmSync(parent, { recursive: true, force: true });
}, 90_000);

test('init in the current folder; a second init refuses in one line, exit 1, changing and adding nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ody-init-'));
  expect((await runOdy(['init'], dir)).code).toBe(0);
  expect(listFiles(dir)).toEqual(FILES);
  writeFileSync(join(dir, 'config/websockets.ts'), '// mine\n');
  rmSync(join(dir, 'Dockerfile'));
  const again = await runOdy(['init'], dir);
  expect([again.code, again.stdout, again.stderr]).toEqual([1, '', `ody: ${join(dir, 'config/websockets.ts')} already exists; ody init writes new projects only and changed nothing\n`]);
  expect(readFileSync(join(dir, 'config/websockets.ts'), 'utf8')).toBe('// mine\n');
  expect(existsSync(join(dir, 'Dockerfile'))).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});
