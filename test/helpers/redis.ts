// Test helper: a real redis-server on a free loopback port, with no persistence; killed and restarted on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis extends AsyncDisposable {
  url: string;
  port: number;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
}

export const hasRedis = () => Bun.which('redis-server') !== null;

let told = false;

/** Skip the Redis cases only off CI: .ci/run installs redis-server, and there they must run. Says why, once a run. */
export function redisMissing(): boolean {
  const missing = !hasRedis() && !process.env.CI;
  if (missing && !told) {
    told = true;
    console.warn('skipping the Redis tests: redis-server not found (apt-get install redis-server; .ci/run does)');
  }
  return missing;
}

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

export async function startRedis(): Promise<TestRedis> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ody-redis-'));
  let proc: Bun.Subprocess | undefined;
  const launch = async () => {
    proc = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdout: 'ignore', stderr: 'pipe' });
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
        socket.end();
        return;
      } catch {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start on ${port}`);
        await Bun.sleep(20);
      }
    }
  };
  await launch();
  const kill = async () => {
    proc?.kill('SIGKILL');
    await proc?.exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    async [Symbol.asyncDispose]() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
