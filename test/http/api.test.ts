// Rule: the server API drives WsServer over HTTP, only with the secret key, JSON in and out, with a clear 4xx for bad calls.
import { expect, test } from 'bun:test';
import type { Frame, WsServer } from '../../src/index';
import { open, type TestClient } from '../helpers/client';
import { serve, until } from '../helpers/server';

const SECRET = 'api-secret-0123456789';
const KEY = { 'x-api-key': SECRET };

function api(base: string, path: string, body?: unknown, headers: Record<string, string> = KEY) {
  const init: RequestInit = body === undefined ? { headers } : { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
  return fetch(`${base}/_ody${path}`, init).then(async (r) => [r.status, await r.json()] as const);
}

/** A server whose clients join the topic they send as their first message, plus `n` connected clients. */
async function withClients(n: number, extra: Parameters<typeof serve>[0] = {}) {
  const s = serve({
    secretKey: SECRET,
    ...extra,
    callbacks: { message: (server: WsServer, f: Frame) => void (server.subscribe(f.fd, String(f.data)), server.push(f.fd, `joined ${f.data}`)) },
  });
  const clients: TestClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await open(s.ws, { lib: i % 2 ? 'ws' : 'bun' }));
  return { s, clients };
}

test('every endpoint answers 401 without the key or with a wrong one; nothing is sent', async () => {
  const { s, clients } = await withClients(1);
  await using _ = s;
  const calls: [string, unknown][] = [['/broadcast', { data: 'x' }], ['/push', { fd: 1, data: 'x' }], ['/publish', { topic: 't', data: 'x' }], ['/disconnect', { fd: 1 }], ['/connections', undefined], ['/topics', undefined], ['/stats', undefined]];
  const statuses = [];
  for (const [path, body] of calls) {
    statuses.push((await api(s.http, path, body, {}))[0]);
    statuses.push((await api(s.http, path, body, { 'x-api-key': 'wrong' }))[0]);
    statuses.push((await api(s.http, path, body, { authorization: 'Bearer wrong' }))[0]);
  }
  expect(new Set(statuses)).toEqual(new Set([401]));
  expect([statuses.length, s.server.count(), clients[0]!.messages]).toEqual([21, 1, []]);
});

test('broadcast reaches every client (except the listed fds); the key works as x-api-key or Bearer', async () => {
  const { s, clients } = await withClients(3);
  await using _ = s;
  expect(await api(s.http, '/broadcast', { data: 'to all' })).toEqual([200, { delivered: 3 }]);
  expect(await api(s.http, '/broadcast', { data: { kind: 'json' }, except: [2] }, { authorization: `Bearer ${SECRET}` })).toEqual([200, { delivered: 2 }]);
  await until(() => clients[0]!.messages.length === 2 && clients[2]!.messages.length === 2, 'broadcasts');
  expect(clients.map((c) => c.messages)).toEqual([['to all', '{"kind":"json"}'], ['to all'], ['to all', '{"kind":"json"}']]);
});

test('push sends to one fd; an unknown fd is 404', async () => {
  const { s, clients } = await withClients(2);
  await using _ = s;
  expect(await api(s.http, '/push', { fd: 2, data: 'just you' })).toEqual([200, { delivered: 1 }]);
  expect(await api(s.http, '/push', { fd: 99, data: 'nobody' })).toEqual([404, { error: 'no open connection with fd 99' }]);
  expect(await clients[1]!.next()).toBe('just you');
  expect(clients[0]!.messages).toEqual([]);
});

test('publish reaches a topic\'s subscribers; topics lists each topic with its subscriber count', async () => {
  const { s, clients } = await withClients(3);
  await using _ = s;
  clients[0]!.send('news');
  clients[1]!.send('news');
  clients[2]!.send('sport');
  for (const c of clients) await c.next();
  expect(await api(s.http, '/publish', { topic: 'news', data: 'extra!' })).toEqual([200, { delivered: 2 }]);
  expect([await clients[0]!.next(), await clients[1]!.next()]).toEqual(['extra!', 'extra!']);
  const [status, body] = await api(s.http, '/topics');
  expect([status, body.topics.toSorted((a: { topic: string }, b: { topic: string }) => a.topic.localeCompare(b.topic))]).toEqual([200, [{ topic: 'news', subscribers: 2 }, { topic: 'sport', subscribers: 1 }]]);
});

test('topics forgets a topic once its last subscriber is gone', async () => {
  const { s, clients } = await withClients(2);
  await using _ = s;
  clients[0]!.send('solo');
  clients[1]!.send('pair');
  await clients[0]!.next();
  await clients[1]!.next();
  clients[0]!.close();
  await until(() => s.server.count() === 1, 'close seen');
  expect(await api(s.http, '/topics')).toEqual([200, { topics: [{ topic: 'pair', subscribers: 1 }] }]);
});

test('disconnect closes an fd with the given code and reason; an unknown fd is 404', async () => {
  const { s, clients } = await withClients(2);
  await using _ = s;
  expect(await api(s.http, '/disconnect', { fd: 1, code: 4000, reason: 'kicked' })).toEqual([200, { disconnected: 1 }]);
  expect(await clients[0]!.closed).toEqual({ code: 4000, reason: 'kicked' });
  expect(await api(s.http, '/disconnect', { fd: 1 })).toEqual([404, { error: 'no open connection with fd 1' }]);
  expect(s.server.count()).toBe(1);
});

test('connections lists each open connection\'s info; stats returns the server counters', async () => {
  const { s } = await withClients(2);
  await using _ = s;
  const [status, body] = await api(s.http, '/connections');
  expect(status).toBe(200);
  expect(body.connections.map((c: { fd: number; remoteAddress: string; worker: number }) => [c.fd, c.remoteAddress, c.worker])).toEqual([[1, '127.0.0.1', 0], [2, '127.0.0.1', 0]]);
  const [statsStatus, stats] = await api(s.http, '/stats');
  expect([statsStatus, stats]).toMatchObject([200, { pid: process.pid, connections: 2, connectionsTotal: 2 }]);
});

test('bad JSON and bad fields are 400 with a message', async () => {
  const { s } = await withClients(1);
  await using _ = s;
  const answers = [
    await api(s.http, '/broadcast', '{"data": '),
    await api(s.http, '/broadcast', '[1, 2]'),
    await api(s.http, '/broadcast', {}),
    await api(s.http, '/push', { fd: 'one', data: 'x' }),
    await api(s.http, '/publish', { topic: '', data: 'x' }),
    await api(s.http, '/disconnect', { fd: 1, code: 1006 }),
  ];
  expect(answers.map(([status]) => status)).toEqual([400, 400, 400, 400, 400, 400]);
  expect(answers.map(([, body]) => body.error.replace(/:.*/, ''))).toEqual(['body is not valid JSON', 'body must be a JSON object', '"data" is required', '"fd" must be a positive integer', '"topic" must be a non-empty string', '"code" must be 1000 or 3000-4999']);
  expect(s.server.count()).toBe(1);
});

test('a body over api.maxBodySize is 413, whether announced by Content-Length or streamed in chunks', async () => {
  const { s, clients } = await withClients(1, { api: { maxBodySize: 1024 } });
  await using _ = s;
  const big = JSON.stringify({ data: 'x'.repeat(2000) });
  expect(await api(s.http, '/broadcast', big)).toEqual([413, { error: 'body over api.maxBodySize (1024 bytes)' }]);
  const chunks = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big.slice(0, 1000))); c.enqueue(new TextEncoder().encode(big.slice(1000))); c.close(); } });
  const streamed = await fetch(`${s.http}/_ody/broadcast`, { method: 'POST', headers: KEY, body: chunks });
  expect(streamed.status).toBe(413);
  expect(await api(s.http, '/broadcast', { data: 'small' })).toEqual([200, { delivered: 1 }]);
  expect(await clients[0]!.next()).toBe('small');
});

test('api.prefix moves the API; api.enabled: false leaves those paths to onRequest', async () => {
  await using moved = serve({ secretKey: SECRET, api: { prefix: '/admin/ws' } });
  const stats = await fetch(`${moved.http}/admin/ws/stats`, { headers: KEY });
  expect(stats.status).toBe(200);
  await using off = serve({ secretKey: SECRET, api: { enabled: false }, callbacks: { request: () => new Response('app', { status: 418 }) } });
  expect((await fetch(`${off.http}/_ody/stats`, { headers: KEY })).status).toBe(418);
});
