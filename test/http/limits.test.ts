// Rule: the built-in guards refuse what the config limits: foreign origins 403, floods 429, too many sockets 503, chatty sockets 1008.
import { expect, test } from 'bun:test';
import { rateLimit, type Frame, type WsServer } from '../../src/index';
import { connect, HANDSHAKE_HEADERS, open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

const handshake = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { ...HANDSHAKE_HEADERS, ...headers } });

test('allowedOrigins: listed and wildcard origins open, others get 403 and fire onDisconnect', async () => {
  const disconnects: number[] = [];
  await using s = serve({
    security: { allowedOrigins: ['https://app.example.com', 'https://*.example.org', 'http://localhost:*'] },
    callbacks: { disconnect: (_s: WsServer, fd: number) => void disconnects.push(fd) },
  });
  const statuses: Record<string, number> = {};
  for (const origin of ['https://app.example.com', 'https://eu.example.org', 'http://localhost:5173', 'https://evil.com', 'https://example.org', 'https://a.b.example.org', 'http://app.example.com', 'https://app.example.com.evil.com']) {
    statuses[origin] = (await handshake(s.http, { origin })).status;
  }
  expect(statuses).toEqual({
    'https://app.example.com': 101,
    'https://eu.example.org': 101,
    'http://localhost:5173': 101,
    'https://evil.com': 403,
    'https://example.org': 403,
    'https://a.b.example.org': 403,
    'http://app.example.com': 403,
    'https://app.example.com.evil.com': 403,
  });
  await until(() => disconnects.length === 5, 'disconnects');
});

test('allowedOrigins lets clients without an Origin header (not browsers) through, and never applies to plain HTTP', async () => {
  await using s = serve({ security: { allowedOrigins: ['https://app.example.com'] }, callbacks: { request: () => new Response('page') } });
  using noOrigin = await open(s.ws, { lib: 'ws' });
  const page = await fetch(s.http, { headers: { origin: 'https://evil.com' } });
  expect([s.server.count(), page.status]).toEqual([1, 200]);
});

test('handshakeRateLimit: past the limit a client IP gets 429 with Retry-After; onDisconnect fires', async () => {
  const disconnects: number[] = [];
  await using s = serve({ security: { handshakeRateLimit: { limit: 2, windowSeconds: 60 } }, callbacks: { disconnect: (_s: WsServer, fd: number) => void disconnects.push(fd) } });
  using a = await open(s.ws);
  using b = await open(s.ws);
  const third = await handshake(s.http);
  expect([third.status, Number(third.headers.get('retry-after')) > 0]).toEqual([429, true]);
  await until(() => disconnects.length === 1, 'disconnect');
  expect((await fetch(`${s.http}/plain`)).status).toBe(404); // plain HTTP has its own limit (off here)
});

test('httpRateLimit: past the limit a client IP gets 429; with trustProxy each forwarded client has its own budget', async () => {
  await using s = serve({ security: { httpRateLimit: { limit: 2, windowSeconds: 60 }, trustProxy: true }, callbacks: { request: () => new Response('ok') } });
  const from = (ip: string) => fetch(`${s.http}/x`, { headers: { 'x-forwarded-for': `10.0.0.99, ${ip}` } }).then((r) => r.status);
  const statuses = [await from('192.0.2.1'), await from('192.0.2.1'), await from('192.0.2.1'), await from('192.0.2.2')];
  expect(statuses).toEqual([200, 200, 429, 200]);
});

test('without trustProxy, X-Forwarded-For is ignored: a client cannot dodge the limit by forging it', async () => {
  await using s = serve({ security: { httpRateLimit: { limit: 1, windowSeconds: 60 } }, callbacks: { request: () => new Response('ok') } });
  const statuses = [];
  for (const ip of ['192.0.2.1', '192.0.2.2']) statuses.push((await fetch(`${s.http}/x`, { headers: { 'x-forwarded-for': ip } })).status);
  expect(statuses).toEqual([200, 429]);
});

test('rateLimit() as route middleware limits that route only', async () => {
  await using s = serve({ routes: { 'POST /login': { handler: () => new Response('hi'), middleware: [rateLimit({ limit: 1, windowSeconds: 60 })] }, 'GET /free': () => new Response('free') } });
  const statuses = [];
  for (const [method, path] of [['POST', '/login'], ['POST', '/login'], ['GET', '/free'], ['GET', '/free']]) statuses.push((await fetch(`${s.http}${path}`, { method })).status);
  expect(statuses).toEqual([200, 429, 200, 200]);
});

test('maxConnectionsPerIp: one more handshake from the same IP gets 503; closing one frees its slot', async () => {
  const disconnects: number[] = [];
  await using s = serve({ additional: { maxConnectionsPerIp: 2 }, callbacks: { disconnect: (_s: WsServer, fd: number) => void disconnects.push(fd) } });
  const a = await open(s.ws);
  using b = await open(s.ws);
  const refused = await handshake(s.http);
  expect([refused.status, await refused.text()]).toEqual([503, 'Too many connections from your address\n']);
  a.close();
  await until(() => s.server.count() === 1, 'server saw the close');
  using c = await open(s.ws);
  expect([s.server.count(), disconnects]).toEqual([2, [3]]);
});

test('maxConnectionsPerIp: refused handshakes give their slot back', async () => {
  let reject = true;
  await using s = serve({ additional: { maxConnectionsPerIp: 1 }, callbacks: { handshake: () => (reject ? false : undefined) } });
  for (let i = 0; i < 3; i++) expect((await handshake(s.http)).status).toBe(403);
  reject = false;
  using ok = await open(s.ws);
  expect(s.server.count()).toBe(1);
});

test('messageRateLimit: a socket over the limit is closed with 1008; its extra messages are not delivered; others carry on', async () => {
  const received: string[] = [];
  await using s = serve({ security: { messageRateLimit: { limit: 3, windowSeconds: 60 } }, callbacks: { message: (_s: WsServer, f: Frame) => void received.push(`${f.fd}:${f.data}`) } });
  const chatty = await open(s.ws, { lib: 'ws' });
  using calm = await open(s.ws);
  for (let i = 1; i <= 5; i++) chatty.send(`m${i}`);
  expect(await chatty.closed).toEqual({ code: 1008, reason: 'message rate limit exceeded' });
  calm.send('hello');
  await until(() => received.includes('2:hello'), 'calm message');
  expect(received).toEqual(['1:m1', '1:m2', '1:m3', '2:hello']);
});

test('requestLog: one line per request and handshake with method, path without query, status and client IP', async () => {
  await using s = serve({ additional: { requestLog: true }, routes: { 'GET /users/:id': () => new Response('u') }, callbacks: { request: () => new Response('no', { status: 404 }) } });
  using logs = captureLogs(); // after serve(), which sets the configured level
  await fetch(`${s.http}/users/7?token=abc.def`);
  await fetch(`${s.http}/nowhere`, { method: 'POST' });
  using c = await open(`${s.ws}/chat?token=abc.def`);
  await until(() => logs.lines.length === 3, 'three log lines');
  const shapes = logs.lines.map((l) => l.replace(/ \d+\.\dms /, ' Nms '));
  expect(shapes).toEqual(['info GET /users/7 200 Nms 127.0.0.1', 'info POST /nowhere 404 Nms 127.0.0.1', 'info WS /chat 101 Nms 127.0.0.1']);
});

test('the global maxConnections still applies before any middleware runs', async () => {
  const seen: string[] = [];
  await using s = serve({ additional: { maxConnections: 1 }, middleware: [(_r, next, ctx) => (seen.push(ctx.kind), next())] });
  using a = await open(s.ws);
  const refused = connect(s.ws);
  await refused.closed;
  expect([(await handshake(s.http)).status, seen]).toEqual([503, ['handshake']]);
});
