// Test helper: builds dist/ody when the sources are newer, makes bare project folders, and runs the binary.
import { afterAll } from 'bun:test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dir, '..', '..');
export const BINARY = join(ROOT, 'dist', 'ody');
/** The source entry as a developer runs it (`bun src/cli/main.ts`): Bun loads the cwd's .env before ody starts. */
export const SOURCE = [process.execPath, join(ROOT, 'src', 'cli', 'main.ts')];

/** How a test runs ody: the compiled binary, or Bun on the sources. */
export type Runner = 'binary' | 'source';

function command(runner: Runner = 'binary'): string[] {
  return runner === 'source' ? SOURCE : [ensureBinary()];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Compiles dist/ody unless it is newer than every source file. */
export function ensureBinary(): string {
  let built = 0;
  try {
    built = statSync(BINARY).mtimeMs;
  } catch {}
  // ody init embeds the Dockerfile, .dockerignore and .env.example of the repository.
  const files = ['build.ts', 'package.json', 'Dockerfile', '.dockerignore', '.env.example'];
  const sources = Math.max(newestMtime(join(ROOT, 'src')), ...files.map((f) => statSync(join(ROOT, f)).mtimeMs));
  if (built < sources) {
    const result = Bun.spawnSync([process.execPath, 'build.ts'], { cwd: ROOT, stderr: 'pipe', stdout: 'pipe' });
    if (result.exitCode !== 0) throw new Error(`build failed: ${result.stderr.toString()}`);
  }
  return BINARY;
}

const made: string[] = [];
// Test folders go after the test file that made them (some hold compiled app binaries of ~100 MB).
// bun test fires no process 'exit'; outside the test runner (chaos, bench) afterAll is not available.
try {
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
} catch {}

/** A project folder in tmp holding only the given files (no node_modules); removed after the test file. */
export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ody-project-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** What a project's server wrote to its pid file (storage/ody_websockets.pid). */
export function pidState(dir: string): { pid: number; workers: number[]; url: string } {
  return JSON.parse(readFileSync(join(dir, 'storage/ody_websockets.pid'), 'utf8'));
}

/**
 * Config code (for config/websockets.ts, before the rest) that holds each worker before it listens while the project
 * has a file 'hold': the worker writes 'starting-<index>' ("<primary pid> <worker pid>") and waits for a file 'go'.
 */
export const HOLD_WORKERS = `import { existsSync, writeFileSync } from 'node:fs';
const root = import.meta.dir + '/..';
if (process.env.ODY_WORKER && existsSync(root + '/hold')) {
  writeFileSync(root + '/starting-' + JSON.parse(process.env.ODY_WORKER).index, process.ppid + ' ' + process.pid);
  while (!existsSync(root + '/go')) await Bun.sleep(10);
}
`;

/** Environment without Bun on PATH and without the test runner's variables: what a server has. */
export function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: '/usr/bin:/bin', HOME: tmpdir(), ...extra };
}

export interface Ody extends AsyncDisposable {
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  /** ws:// URL from the "listening on" line. */
  url: string;
  http: string;
  /** Everything printed so far (stdout + stderr). */
  output(): string;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Runs the binary to completion (for commands that exit): code, stdout, stderr. */
export async function runOdy(args: string[], cwd: string, env = bareEnv(), runner?: Runner): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...command(runner), ...args], { cwd, env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  const timer = setTimeout(() => proc.kill(9), 10_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * Starts `ody <args>` and waits for its "listening on" line; fails with the output if it exits first.
 * `detached`: the leader of its own process group, as systemd and a terminal run it (signal it with kill(-pid)).
 */
export async function startOdy(args: string[], cwd: string, env = bareEnv(), options: { detached?: boolean; runner?: Runner } = {}): Promise<Ody> {
  const proc = Bun.spawn([...command(options.runner), ...args], { cwd, env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore', detached: options.detached });
  let text = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const deadline = Date.now() + 10_000;
  let match: RegExpMatchArray | null = null;
  while (!(match = text.match(/listening on (\S+)/))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill(9);
      throw new Error(`ody did not start (exit ${proc.exitCode}): ${text}`);
    }
    await Bun.sleep(10);
  }
  const url = match[1]!;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill(9), 15_000);
    const code = await proc.exited;
    clearTimeout(timer);
    return code;
  };
  return { proc, url, http: url.replace(/^ws/, 'http'), output: () => text, stop, [Symbol.asyncDispose]: async () => void (await stop()) };
}
