// Rule: `ody websocket reload` re-reads .env in every process: a new WEBSOCKET_SECRET_KEY replaces the old one
// on the handshake and on the /_ody API alike, open clients stay, and a real environment variable still wins; the same
// from source (`bun src/cli/main.ts`), where Bun has put the cwd's .env into process.env before ody starts.
import { beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDSHAKE_HEADERS, open } from '../helpers/client';
import { bareEnv, ensureBinary, project, type Runner, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const OLD = 'old-secret-0123456789';
const NEW = 'new-secret-0123456789';

for (const [runner, workers] of [['binary', '1'], ['binary', '2'], ['source', '1'], ['source', '2']] as [Runner, string][]) {
  test(`${runner}, workers=${workers}: a reloaded .env secret is the only one the handshake and the API accept`, async () => {
    const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${OLD}\n` });
    await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', workers], dir, undefined, { runner });
    const api = (key: string) => fetch(`${ody.http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status);
    const handshake = (key: string) => fetch(ody.http, { headers: { ...HANDSHAKE_HEADERS, 'sec-websocket-protocol': `ody, ${key}` } }).then((r) => r.status);
    const before = await open(ody.url, { protocols: ['ody', OLD] });
    expect([await api(OLD), await api(NEW)]).toEqual([200, 401]);

    writeFileSync(join(dir, '.env'), `WEBSOCKET_SECRET_KEY=${NEW}\n`);
    const reload = await runOdy(['websocket', 'reload'], dir, undefined, runner);
    expect([reload.code, reload.stderr]).toEqual([0, '']);
    // Several requests each, so with 2 workers both have answered (the kernel spreads connections).
    const apiAnswers = new Set<number>();
    const oldShakes = new Set<number>();
    for (let i = 0; i < 8; i++) {
      apiAnswers.add(await api(OLD));
      apiAnswers.add((await api(NEW)) + 1000);
      oldShakes.add(await handshake(OLD));
      const fresh = await open(ody.url, { protocols: ['ody', NEW] });
      fresh.close();
    }
    expect([...apiAnswers].sort()).toEqual([1200, 401]);
    expect([...oldShakes]).toEqual([401]);
    const fresh = await open(ody.url, { protocols: ['ody', NEW] });
    fresh.send('after reload');
    expect(await before.next()).toBe('after reload'); // the client from before the reload is still connected
  }, 30_000);
}

for (const runner of ['binary', 'source'] as Runner[]) {
  test(`${runner}: a real environment variable still wins over .env after a reload`, async () => {
    const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${OLD}\n` });
    const env = bareEnv({ WEBSOCKET_SECRET_KEY: 'real-env-secret-0123' });
    await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', '1'], dir, env, { runner });
    writeFileSync(join(dir, '.env'), `WEBSOCKET_SECRET_KEY=${NEW}\n`);
    expect((await runOdy(['websocket', 'reload'], dir, undefined, runner)).code).toBe(0);
    const statuses = await Promise.all(['real-env-secret-0123', OLD, NEW].map((key) => fetch(`${ody.http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status)));
    expect(statuses).toEqual([200, 401, 401]);
  });
}

test('source, daemon: start -d under Bun, then a reload, applies the edited .env secret', async () => {
  const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${OLD}\nWEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=1\n` });
  const started = await runOdy(['websocket', 'start', '-d'], dir, undefined, 'source');
  expect(started.code).toBe(0);
  const http = started.stdout.match(/on (ws:\/\/\S+?);/)![1]!.replace(/^ws/, 'http');
  try {
    writeFileSync(join(dir, '.env'), `WEBSOCKET_SECRET_KEY=${NEW}\nWEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=1\n`);
    expect((await runOdy(['websocket', 'reload'], dir, undefined, 'source')).code).toBe(0);
    const statuses = await Promise.all([OLD, NEW].map((key) => fetch(`${http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status)));
    expect(statuses).toEqual([401, 200]);
  } finally {
    expect((await runOdy(['websocket', 'stop'], dir, undefined, 'source')).code).toBe(0);
  }
});
