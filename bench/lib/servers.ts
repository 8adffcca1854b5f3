// Starts one server under test (ody, raw Bun, Node ws or Soketi) on a fresh loopback port, waits for it, stops it by pid.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { odyApp, odyPusherApp, odyRedisApp, ROOT } from './ody';
import { alive, treePids, wrapped } from './proc';
import { PUSHER_APP } from './pusher-app';

export type Kind = 'ody' | 'bun' | 'ws' | 'soketi';
export const KINDS: Kind[] = ['ody', 'bun', 'ws', 'soketi'];
/** The servers of a scenario that does not name its own (the plain WebSocket ones): Soketi speaks only Pusher. */
export const PLAIN_KINDS: Kind[] = ['ody', 'bun', 'ws'];

/** ody: the dist/ody binary; app: an app binary `ody build` made of the 1-worker bench app (for `app` specs). */
export type Context = { tmp: string; ody: string | Error; app: string | Error; node: string | Error };

/**
 * What to start: a worker count, or one node (0 = A, 1 = B, 2 = C) of nodes joined by the Redis at url; with pusher,
 * a Pusher app (ody, Soketi) or the Pusher floor peer (raw Bun); with app, ody as an app binary (`ody build`).
 */
export type Spec = { workers: number; redis?: { url: string; node: number }; pusher?: boolean; app?: boolean; tableOff?: boolean };

/**
 * Soketi 1.6.1, the Pusher-protocol reference peer: a copy of ../shared/peers/soketi with its node_modules
 * (`npm ci` there; the shared folder may be read-only, see its README.md), named by ODY_BENCH_SOKETI or found
 * beside the repo (or beside the worktree's parent). It is started only through its start.sh, which keeps every
 * listener on 127.0.0.1.
 */
export function soketiDir(): string | Error {
  const near = [join(ROOT, '..', 'shared', 'peers', 'soketi'), join(ROOT, '..', '..', 'shared', 'peers', 'soketi')];
  const dir = resolve(process.env.ODY_BENCH_SOKETI ?? near.find((d) => existsSync(join(d, 'start.sh'))) ?? near[0]!);
  if (!existsSync(join(dir, 'start.sh'))) return new Error(`no soketi peer at ${dir} (set ODY_BENCH_SOKETI to a copy of ../shared/peers/soketi)`);
  if (!existsSync(join(dir, 'node_modules', '@soketi', 'soketi', 'bin', 'server.js'))) {
    return new Error(`soketi is not installed in ${dir}: copy the folder, run npm ci in the copy, set ODY_BENCH_SOKETI to it`);
  }
  return dir;
}

/** Soketi's environment: the bench app, presence channels as large as ody's, quick stops, Redis between nodes. */
function soketiEnv(port: number, spec: Spec): Record<string, string> {
  const url = spec.redis ? new URL(spec.redis.url) : null;
  return {
    PORT: `${port}`,
    APP_ID: PUSHER_APP.id,
    APP_KEY: PUSHER_APP.key,
    APP_SECRET: PUSHER_APP.secret,
    SOKETI_PRESENCE_MAX_MEMBERS: '100000',
    SOKETI_SHUTDOWN_GRACE_PERIOD: '100',
    ...(url && { SOKETI_ADAPTER_DRIVER: 'redis', SOKETI_DB_REDIS_HOST: url.hostname, SOKETI_DB_REDIS_PORT: url.port }),
  };
}

export type Running = { pid: number; port: number; procs: number; stop(): Promise<void> };

// Server ports sit below Linux's ephemeral range (32768+) so the generator's own client
// sockets can never be holding the port a fresh server wants to bind.
let nextPort = 21000 + (process.pid % 50) * 100;

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = nextPort++;
    try {
      const probe = Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } });
      probe.stop(true);
      return port;
    } catch {
      // Taken by something else on this machine; try the next one.
    }
  }
  throw new Error('no free loopback port found');
}

/**
 * The executable the raw Bun peers run on: the Bun inside the ody binary being compared (BUN_BE_BUN=1 makes a
 * compiled binary act as `bun`), so both servers map their code from one file in one page-cache state. From two
 * files, the RSS of the same server moved by 3 MB with what the kernel happened to cache of each (see
 * docs/bench/README.md). Same Bun version either way: the binary is this Bun plus ody's bundle.
 */
function bunPeer(ctx: Context, spec: Spec): { exe: string; env?: Record<string, string> } {
  const binary = spec.app ? ctx.app : ctx.ody;
  if (binary instanceof Error) return { exe: process.execPath };
  return { exe: binary, env: { BUN_BE_BUN: '1' } };
}

function command(kind: Kind, ctx: Context, port: number, spec: Spec): string[] {
  const { workers, redis, pusher } = spec;
  const peers = join(ROOT, 'bench', 'peers');
  const bun = bunPeer(ctx, spec).exe;
  if (kind === 'soketi') {
    const dir = soketiDir();
    if (dir instanceof Error) throw dir;
    if (!pusher) throw new Error('Soketi speaks only the Pusher protocol');
    return [join(dir, 'start.sh')];
  }
  if (pusher) {
    if (kind === 'bun') return [bun, join(peers, 'bun-pusher-floor.ts'), '--port', `${port}`];
    if (kind === 'ws') throw new Error('no Node ws Pusher peer');
  }
  if (redis) {
    if (kind === 'bun') return [bun, join(peers, 'bun-redis.ts'), '--port', `${port}`, '--redis', redis.url];
    if (kind === 'ws') throw new Error('no Node ws peer over Redis');
  }
  if (kind === 'bun') return [bun, join(peers, 'bun-raw.ts'), '--port', `${port}`, '--workers', `${workers}`];
  if (kind === 'ws') {
    if (spec.app) throw new Error('no Node ws peer for app binaries');
    if (ctx.node instanceof Error) throw ctx.node;
    return [ctx.node, join(peers, 'node-ws.mjs'), '--port', `${port}`, '--workers', `${workers}`];
  }
  const ody = spec.app ? ctx.app : ctx.ody;
  if (ody instanceof Error) throw ody;
  const root = redis ? odyRedisApp(ctx.tmp, redis.node, redis.url, pusher) : pusher ? odyPusherApp(ctx.tmp) : odyApp(ctx.tmp, workers, spec.tableOff);
  return [ody, 'websocket', 'start', '--root', root, '--port', `${port}`, '--host', '127.0.0.1'];
}

function firstLine(...paths: string[]): string {
  for (const p of paths) {
    try {
      const line = readFileSync(p, 'utf8').split('\n').find((l) => l.trim() !== '');
      if (line) return line.trim().slice(0, 200);
    } catch {
      // No log written yet.
    }
  }
  return '';
}

export async function startServer(kind: Kind, ctx: Context, spec: Spec, cores: string | null): Promise<Running> {
  const port = await freePort();
  const argv = command(kind, ctx, port, spec);
  const workers = spec.workers;
  const out = join(ctx.tmp, `${kind}-${port}.out`);
  const err = join(ctx.tmp, `${kind}-${port}.err`);
  const env = kind === 'bun' ? bunPeer(ctx, spec).env : kind === 'soketi' ? soketiEnv(port, spec) : undefined;
  const proc = Bun.spawn(wrapped(argv, cores), {
    cwd: ROOT,
    env: env ? { ...process.env, ...env } : undefined,
    stdin: 'ignore',
    stdout: Bun.file(out),
    stderr: Bun.file(err),
  });
  const pid = proc.pid;
  let known: number[] = [pid];

  const stop = async () => {
    known = [...new Set([...known, ...treePids(pid)])];
    proc.kill('SIGTERM');
    await Promise.race([proc.exited, Bun.sleep(1500)]);
    if (alive(pid)) proc.kill('SIGKILL');
    await Promise.race([proc.exited, Bun.sleep(1000)]);
    // Workers or peer children that outlived their parent: only pids we saw under our own child.
    for (const p of known) if (p !== pid && alive(p)) process.kill(p, 'SIGKILL');
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const why = firstLine(err, out) || `exited with code ${proc.exitCode ?? proc.signalCode}`;
      throw new Error(why);
    }
    try {
      await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`no HTTP answer on port ${port} within 20 s ${firstLine(err, out)}`.trim());
    }
    await Bun.sleep(50);
  }
  // Extra workers may still be starting after the first one answers: wait for the tree to settle.
  if (workers > 1) {
    let count = 0;
    for (let stable = 0, t = 0; stable < 5 && t < 60; t++) {
      const now = treePids(pid).length;
      stable = now === count ? stable + 1 : 0;
      count = now;
      await Bun.sleep(100);
    }
  }
  known = treePids(pid);
  return { pid, port, procs: known.length, stop };
}
