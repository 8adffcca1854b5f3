// Test helper: a real PostgreSQL (Debian's `postgresql` package) in a temp folder on a free loopback port, started with
// initdb + pg_ctl by the test itself, stopped by the postmaster's pid. PostgreSQL refuses to run as root: as root,
// its commands run as the `postgres` user the package creates.
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres extends AsyncDisposable {
  /** postgres://ody@127.0.0.1:PORT/postgres (trust auth, loopback only). */
  url: string;
  port: number;
  /** Stops the server (SIGINT to the postmaster: fast shutdown), as an outage would. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
}

/** pg_ctl's folder: on PATH, else Debian's versioned one. */
function binDir(): string | undefined {
  const onPath = Bun.which('pg_ctl');
  if (onPath) return join(onPath, '..');
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a)).find((v) => existsSync(join(base, v, 'bin', 'pg_ctl')));
  return version ? join(base, version, 'bin') : undefined;
}

export const hasPostgres = () => binDir() !== undefined;

/** Skip the PostgreSQL cases only off CI: .ci/run installs postgresql, and there they must run. */
export const postgresMissing = () => !hasPostgres() && !process.env.CI;

if (postgresMissing()) console.log('skipping the PostgreSQL tests: no pg_ctl on PATH or in /usr/lib/postgresql (apt-get install postgresql)');

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** The uid/gid to run as: the postgres user when we are root, else ourselves. */
function runAs(): { uid: number; gid: number; prefix: string[] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString().trim());
  const gid = Number(Bun.spawnSync(['id', '-g', 'postgres']).stdout.toString().trim());
  if (!uid) throw new Error('running as root and there is no postgres user to run PostgreSQL as');
  return { uid, gid, prefix: ['runuser', '-u', 'postgres', '--'] };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'ody-pg-'));
  if (user) {
    chmodSync(dir, 0o700);
    chownSync(dir, user.uid, user.gid);
  }
  const data = join(dir, 'data');
  const run = (args: string[]) => {
    const result = Bun.spawnSync([...(user?.prefix ?? []), ...args], { stdout: 'pipe', stderr: 'pipe', cwd: dir });
    if (result.exitCode !== 0) throw new Error(`${args[0]} failed: ${result.stderr.toString()}${result.stdout.toString()}`);
  };
  run([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'ody', '--no-sync', '-E', 'UTF8']);
  const port = freePort();
  const start = async () => {
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    run([join(bin, 'pg_ctl'), '-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  };
  const pid = () => (existsSync(join(data, 'postmaster.pid')) ? Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) : 0);
  const stop = async () => {
    const p = pid();
    if (!p) return;
    process.kill(p, 'SIGINT');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        process.kill(p, 0);
      } catch {
        return;
      }
      await Bun.sleep(20);
    }
    process.kill(p, 'SIGKILL');
  };
  await start();
  return {
    url: `postgres://ody@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async [Symbol.asyncDispose]() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
