// Gets ody ready for the bench: the compiled dist/ody binary and a throwaway app root using ody's public config API.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUSHER_APP } from './pusher-app';

export const ROOT = join(import.meta.dir, '..', '..');
export const ODY_BIN = join(ROOT, 'dist', 'ody');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function build(log: (msg: string) => void, outfile?: string): string | Error {
  const target = outfile ?? ODY_BIN;
  log(`building ${outfile ? target : 'dist/ody'} with \`bun build.ts\` …`);
  const args = outfile ? ['build.ts', '--outfile', outfile] : ['build.ts'];
  const built = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (built.exitCode !== 0 || !existsSync(target)) {
    const why = (built.stderr.toString() || built.stdout.toString()).trim().split('\n')[0] ?? '';
    return new Error(`bun build.ts failed (exit ${built.exitCode}): ${why}`);
  }
  return target;
}

/**
 * The ody binary to measure: dist/ody, built with `bun build.ts` when missing. With rebuild, a
 * fresh build of the current src/ goes to the temp dir instead, leaving dist/ alone.
 */
export function ensureOdyBinary(log: (msg: string) => void, rebuild: boolean, tmp: string): string | Error {
  if (!existsSync(join(ROOT, 'build.ts')) && (rebuild || !existsSync(ODY_BIN))) return new Error('no build.ts to build ody with');
  if (rebuild) return build(log, join(tmp, 'ody'));
  if (!existsSync(ODY_BIN)) return build(log);
  // Measuring a binary older than the source would report on code that no longer exists.
  if (existsSync(join(ROOT, 'src')) && newestMtime(join(ROOT, 'src')) > statSync(ODY_BIN).mtimeMs) {
    log('warning: dist/ody is older than src/; its numbers are for that older build (--rebuild measures the current src)');
  }
  return ODY_BIN;
}

// A realistic small app, written the way the raw Bun peer is: the role is decided once in onOpen
// from the path (found by string scan, no URL object per handshake), and onClose forgets it.
const CONTROLLER = `import type { Frame, OpenRequest, WsServer } from '@ody/websocket-server';

// Same paths as the raw Bun and ws peers, so one load generator drives all three servers.
const publishers = new Set<number>();

/** '/sub' from 'http://127.0.0.1:9502/sub?x': the third '/' on, up to '?'. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const q = url.indexOf('?', start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

export class BenchController {
  onOpen(server: WsServer, req: OpenRequest) {
    const path = pathOf(req.url);
    if (path === '/sub') server.subscribe(req.fd, 'bench');
    else if (path === '/pub') publishers.add(req.fd);
  }

  onMessage(server: WsServer, frame: Frame) {
    if (publishers.has(frame.fd)) server.publish('bench', frame.data);
    else server.push(frame.fd, frame.data);
  }

  // fds are reused after a close: a later /echo client must not inherit a publisher's role.
  onClose(_server: WsServer, fd: number) {
    publishers.delete(fd);
  }
}
`;

const config = (workers: number, extra = '', additional = '') => `import { defineConfig, Event } from '@ody/websocket-server';
import { BenchController } from '../BenchController';

export default defineConfig({
  host: '127.0.0.1',
  port: 9502, // the bench passes --port
  secretKey: 'bench-secret-not-the-default', // as in production: the default secret is for loopback development
  callbacks: {
    [Event.ON_OPEN]: [BenchController, 'onOpen'],
    [Event.ON_MESSAGE]: [BenchController, 'onMessage'],
    [Event.ON_CLOSE]: [BenchController, 'onClose'],
  },${extra}
  additional: { workerNum: ${workers}, logLevel: 'error', maxPayloadLength: 1048576${additional} },
});
`;

/**
 * Writes <tmp>/ody-app-<n>w with config/websockets.ts and BenchController.ts; returns its path. `tableOff`: the
 * machine's shared connection table off (additional.table.connections: 0), in <tmp>/ody-app-<n>w-notable.
 */
export function odyApp(tmp: string, workers: number, tableOff = false): string {
  const dir = join(tmp, `ody-app-${workers}w${tableOff ? '-notable' : ''}`);
  if (existsSync(join(dir, 'config', 'websockets.ts'))) return dir;
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'BenchController.ts'), CONTROLLER);
  writeFileSync(join(dir, 'config', 'websockets.ts'), config(workers, '', tableOff ? ', table: { connections: 0 }' : ''));
  return dir;
}

// The Pusher app; presence channels as large as the presence scenarios make them (Pusher's default is 100 members).
const PUSHER_APPS = `\n  apps: [${JSON.stringify({ ...PUSHER_APP, maxPresenceMembers: 100_000 })}],`;

/**
 * One node (0 = A, 1 = B, 2 = C) of a cross-node scenario: its own root (the pid file is per project), the Redis
 * adapter pointing at the bench's redis-server, with the Pusher app for the presence scenarios. Rewritten each
 * time: the URL changes per run.
 */
export function odyRedisApp(tmp: string, node: number, url: string, pusher = false): string {
  const dir = join(tmp, `ody-app-redis${pusher ? '-pusher' : ''}-${'abc'[node]}`);
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'BenchController.ts'), CONTROLLER);
  const adapter = `\n  adapter: { driver: 'redis', url: ${JSON.stringify(url)}, prefix: 'ody' },`;
  writeFileSync(join(dir, 'config', 'websockets.ts'), config(1, adapter + (pusher ? PUSHER_APPS : '')));
  return dir;
}

/** The Pusher scenarios' root: the same app plus one Pusher app (served on /app/{key} and /apps/{id}/…), 1 worker. */
export function odyPusherApp(tmp: string): string {
  const dir = join(tmp, 'ody-app-pusher');
  if (existsSync(join(dir, 'config', 'websockets.ts'))) return dir;
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'BenchController.ts'), CONTROLLER);
  writeFileSync(join(dir, 'config', 'websockets.ts'), config(1, PUSHER_APPS));
  return dir;
}

/**
 * The 1-worker bench app compiled into its own executable by `ody build`, the way it is shipped (config and
 * controller in the bundle, nothing imported at run time). Written to <tmp>/ody-app-binary.
 */
export function buildOdyAppBinary(ody: string | Error, tmp: string, log: (msg: string) => void): string | Error {
  if (ody instanceof Error) return ody;
  const outfile = join(tmp, 'ody-app-binary');
  log('building the bench app with `ody build` …');
  const built = Bun.spawnSync([ody, 'build', '--root', odyApp(tmp, 1), '--outfile', outfile], { stdout: 'pipe', stderr: 'pipe' });
  if (built.exitCode !== 0 || !existsSync(outfile)) {
    const why = (built.stderr.toString() || built.stdout.toString()).trim().split('\n')[0] ?? '';
    return new Error(`ody build failed (exit ${built.exitCode}): ${why}`);
  }
  return outfile;
}
