// A throwaway redis-server on a free loopback port for the cross-node scenario: no persistence, stopped by pid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, wrapped } from './proc';
import { freePort } from './servers';

export type Redis = { pid: number; port: number; url: string; stop(): Promise<void> };

/** Answers when a PING over a fresh TCP connection gets +PONG within a second. */
async function pings(port: number): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => resolve(false), 1000);
  try {
    const sock = await Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(s) {
          s.write('PING\r\n');
        },
        data(s, d) {
          resolve(d.toString().startsWith('+PONG'));
          s.end();
        },
        error: () => resolve(false),
        close: () => resolve(false),
      },
    });
    const ok = await promise;
    sock.end();
    return ok;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function startRedis(tmp: string, cores: string | null): Promise<Redis> {
  const bin = Bun.which('redis-server');
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort();
  const log = join(tmp, `redis-${port}.log`);
  // Pub/sub only: nothing is stored, so persistence is off and the working dir is the temp dir.
  const argv = [bin, '--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp, '--logfile', log, '--daemonize', 'no'];
  const err = `${log}.err`;
  const proc = Bun.spawn(wrapped(argv, cores), { stdin: 'ignore', stdout: 'ignore', stderr: Bun.file(err) });
  const pid = proc.pid;
  const stop = async () => {
    proc.kill('SIGTERM');
    await Promise.race([proc.exited, Bun.sleep(2000)]);
    if (alive(pid)) proc.kill('SIGKILL');
    await Promise.race([proc.exited, Bun.sleep(1000)]);
  };
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      let why = '';
      for (const f of [err, log]) {
        try {
          why ||= readFileSync(f, 'utf8').trim().split('\n').at(-1) ?? '';
        } catch {
          // It never got as far as opening its log.
        }
      }
      throw new Error(`redis-server did not answer on port ${port}: ${why || `exit ${proc.exitCode}`}`);
    }
    await Bun.sleep(50);
  }
  return { pid, port, url: `redis://127.0.0.1:${port}`, stop };
}
