// Rule: limits count for the whole machine: with 2 workers, rateLimit({ limit: 5 }) lets 5 requests through (not 5 per
// worker), maxConnectionsPerIp and handshakeRateLimit admit their number across the workers, a closed socket gives its
// per-IP slot back to whichever worker takes the next one, and a Pusher app's event rate is the app's, not a worker's.
import { beforeAll, expect, test } from 'bun:test';
import { ensureBinary, project, startOdy, type Ody } from '../helpers/binary';
import { connect, open, type TestClient } from '../helpers/client';
import { md5Hex, hmacSha256 } from '../../src/crypto';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const config = (limits: string) => `
import { defineConfig, rateLimit, ContextManager } from '@ody/websocket-server';
const worker = () => new Response(String(ContextManager.get('WsServer').worker));
export default defineConfig({
  port: 0,
  routes: {
    'POST /login': { handler: worker, middleware: [rateLimit({ limit: 5, windowSeconds: 60 })] },
    'GET /who': worker,
  },
  ${limits}
});
`;
const WORKERS = `additional: { workerNum: 2, logLevel: 'info' },`;

/** A request on a fresh TCP connection (the kernel picks the worker per connection). */
const ask = (ody: Ody, method: string, path: string) => fetch(`${ody.http}${path}`, { method, headers: { connection: 'close' }, keepalive: false });

test("the README's rateLimit({ limit: 5 }) lets 5 requests through with 2 workers, not 10", async () => {
  const dir = project({ 'config/websockets.ts': config(WORKERS) });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const statuses: number[] = [];
  const workers = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const res = await ask(ody, 'POST', '/login');
    statuses.push(res.status);
    workers.add(await (await ask(ody, 'GET', '/who')).text());
  }
  expect(workers).toEqual(new Set(['0', '1'])); // both workers took requests
  expect(statuses.filter((s) => s === 200).length).toBe(5);
  expect(statuses.filter((s) => s === 429).length).toBe(25);
});

/** Opens `n` sockets at once; which of them opened, and what each worker holds. */
async function attempt(ody: Ody, n: number): Promise<TestClient[]> {
  const tries: TestClient[] = [];
  for (let i = 0; i < n; i++) tries.push(connect(ody.url, i % 2 ? { lib: 'ws' } : {}));
  const opened = await Promise.all(tries.map((c) => c.opened.then(() => true, () => false)));
  return tries.filter((_, i) => opened[i]);
}

test('maxConnectionsPerIp counts across workers, and a closed socket frees its slot for whichever worker takes the next', async () => {
  const dir = project({ 'config/websockets.ts': config(`additional: { workerNum: 2, logLevel: 'info', maxConnectionsPerIp: 3 },`) });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const opened = await attempt(ody, 8);
  expect(opened.length).toBe(3);
  opened[0]!.close();
  await opened[0]!.closed;
  await until(async () => (await attempt(ody, 1)).length === 1, 'the freed slot is taken again');
  expect((await attempt(ody, 4)).length).toBe(0);
  for (const c of opened) c.close();
});

test('handshakeRateLimit admits its number across workers', async () => {
  const dir = project({ 'config/websockets.ts': config(`security: { handshakeRateLimit: { limit: 4, windowSeconds: 60 } }, ${WORKERS}`) });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const opened = await attempt(ody, 12);
  expect(opened.length).toBe(4);
  for (const c of opened) c.close();
});

/** A signed Pusher HTTP API request, sent on its own TCP connection. */
function signedPost(ody: Ody, app: { id: string; key: string; secret: string }, path: string, body: string): Promise<Response> {
  const query = `auth_key=${app.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&body_md5=${md5Hex(body)}`;
  const signature = hmacSha256(app.secret, `POST\n${path}\n${query}`, 'hex');
  return fetch(`${ody.http}${path}?${query}&auth_signature=${signature}`, { method: 'POST', body, headers: { 'content-type': 'application/json', connection: 'close' }, keepalive: false });
}

test("a Pusher app's maxBackendEventsPerSecond counts across workers: of 8 batches at once, one gets through", async () => {
  const app = { id: 'rate', key: 'rate-key', secret: 'rate-secret', maxBackendEventsPerSecond: 10 };
  const dir = project({ 'config/websockets.ts': config(`apps: [${JSON.stringify(app)}], ${WORKERS}`) });
  await using ody = await startOdy(['websocket', 'start'], dir);
  // Ten events take the app's whole second; the next ten are back a second later: whichever worker answers.
  const batch = JSON.stringify({ batch: Array.from({ length: 10 }, (_, n) => ({ channel: 'news', name: 'e', data: String(n) })) });
  const statuses = await Promise.all(Array.from({ length: 8 }, () => signedPost(ody, app, `/apps/${app.id}/batch_events`, batch).then((r) => r.status)));
  expect(statuses.sort()).toEqual([200, 429, 429, 429, 429, 429, 429, 429]);
});
