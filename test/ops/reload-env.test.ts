// Rule: `ody websocket reload` re-reads .env in every process: a new WEBSOCKET_SECRET_KEY replaces the old one
// on the handshake and on the /_ody API alike, open clients stay, and a real environment variable still wins.
import { beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDSHAKE_HEADERS, open } from '../helpers/client';
import { bareEnv, ensureBinary, project, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const OLD = 'old-secret-0123456789';
const NEW = 'new-secret-0123456789';

for (const workers of ['1', '2']) {
  test(`workers=${workers}: a reloaded .env secret is the only one the handshake and the API accept`, async () => {
    const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${OLD}\n` });
    await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', workers], dir);
    const api = (key: string) => fetch(`${ody.http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status);
    const handshake = (key: string) => fetch(ody.http, { headers: { ...HANDSHAKE_HEADERS, 'sec-websocket-protocol': `ody, ${key}` } }).then((r) => r.status);
    const before = await open(ody.url, { protocols: ['ody', OLD] });
    expect([await api(OLD), await api(NEW)]).toEqual([200, 401]);

    writeFileSync(join(dir, '.env'), `WEBSOCKET_SECRET_KEY=${NEW}\n`);
    const reload = await runOdy(['websocket', 'reload'], dir);
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

test('a real environment variable still wins over .env after a reload', async () => {
  const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${OLD}\n` });
  await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', '1'], dir, bareEnv({ WEBSOCKET_SECRET_KEY: 'real-env-secret-0123' }));
  writeFileSync(join(dir, '.env'), `WEBSOCKET_SECRET_KEY=${NEW}\n`);
  expect((await runOdy(['websocket', 'reload'], dir)).code).toBe(0);
  const statuses = await Promise.all(['real-env-secret-0123', OLD, NEW].map((key) => fetch(`${ody.http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status)));
  expect(statuses).toEqual([200, 401, 401]);
});
