// Rule: middleware wraps HTTP requests and handshakes alike: next() continues, returning a Response answers instead.
import { expect, test } from 'bun:test';
import { isUpgrade, type Handshake, type Middleware, type OpenRequest, type WsServer } from '../../src/index';
import { connect, HANDSHAKE_HEADERS, open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

/** Records `name:before` and `name:after status` around next(). */
const tracer = (events: string[], name: string): Middleware => async (_req, next, ctx) => {
  events.push(`${name}:before ${ctx.kind}`);
  const res = await next();
  events.push(`${name}:after ${res.status}`);
  return res;
};

test('global middleware runs in order around a route, then the route\'s own middleware', async () => {
  const events: string[] = [];
  await using s = serve({
    middleware: [tracer(events, 'a'), tracer(events, 'b')],
    routes: { 'GET /r': { handler: () => (events.push('handler'), new Response('r')), middleware: [tracer(events, 'route')] } },
  });
  expect(await (await fetch(`${s.http}/r`)).text()).toBe('r');
  expect(events).toEqual(['a:before http', 'b:before http', 'route:before http', 'handler', 'route:after 200', 'b:after 200', 'a:after 200']);
});

test('global middleware also wraps onRequest; route middleware does not', async () => {
  const events: string[] = [];
  await using s = serve({
    middleware: [tracer(events, 'global')],
    routes: { 'GET /r': { handler: () => new Response('r'), middleware: [tracer(events, 'route')] } },
    callbacks: { request: () => (events.push('onRequest'), new Response('fallback', { status: 418 })) },
  });
  expect((await fetch(`${s.http}/other`)).status).toBe(418);
  expect(events).toEqual(['global:before http', 'onRequest', 'global:after 418']);
});

test('an HTTP middleware that returns its own Response answers; nothing after it runs', async () => {
  const reached: string[] = [];
  const deny: Middleware = (req, next) => (new URL(req.url).searchParams.has('let-in') ? next() : new Response('denied', { status: 401 }));
  await using s = serve({ middleware: [deny], routes: { 'GET /secret': () => (reached.push('route'), new Response('data')) } });
  const denied = await fetch(`${s.http}/secret`);
  const allowed = await fetch(`${s.http}/secret?let-in`);
  expect([denied.status, await denied.text(), allowed.status, reached]).toEqual([401, 'denied', 200, ['route']]);
});

test('in a handshake, next() runs onHandshake and resolves to the upgrade marker (101) once accepted', async () => {
  const events: string[] = [];
  await using s = serve({
    middleware: [tracer(events, 'mw')],
    callbacks: { handshake: () => void events.push('onHandshake'), open: () => void events.push('onOpen') },
  });
  using c = await open(s.ws);
  await until(() => events.length === 4, 'middleware done');
  // Bun opens the socket inside upgrade(), so onOpen has run by the time next() resolves.
  expect(events).toEqual(['mw:before handshake', 'onHandshake', 'onOpen', 'mw:after 101']);
});

test('a handshake middleware that returns its own Response rejects: onHandshake is skipped, onDisconnect fires', async () => {
  const events: unknown[] = [];
  const gate: Middleware = (req, next, ctx) => (req.headers.get('x-pass') === 'yes' ? next() : new Response(`no entry for fd ${ctx.handshake?.fd}`, { status: 403 }));
  await using s = serve({
    middleware: [gate],
    callbacks: { handshake: () => void events.push('onHandshake'), disconnect: (_s: WsServer, fd: number) => void events.push(['disconnect', fd]) },
  });
  const res = await fetch(s.http, { headers: HANDSHAKE_HEADERS });
  expect([res.status, await res.text()]).toEqual([403, 'no entry for fd 1']);
  using ok = await open(s.ws, { headers: { 'x-pass': 'yes' } });
  expect(events).toEqual([['disconnect', 1], 'onHandshake']);
});

test('a rejection by onHandshake reaches the middleware as next()\'s answer, and onDisconnect fires once', async () => {
  const seen: number[] = [];
  const disconnects: number[] = [];
  await using s = serve({
    middleware: [async (_r, next) => { const res = await next(); seen.push(res.status); return res; }],
    callbacks: { handshake: (_r: Request, hs: Handshake) => void hs.reject(401, 'who are you'), disconnect: (_s: WsServer, fd: number) => void disconnects.push(fd) },
  });
  const res = await fetch(s.http, { headers: HANDSHAKE_HEADERS });
  expect([res.status, await res.text()]).toEqual([401, 'who are you']);
  await until(() => disconnects.length === 1, 'disconnect');
  expect([seen, disconnects]).toEqual([[401], [1]]);
});

test('handshake middleware can attach per-connection data and headers before next()', async () => {
  const opens: unknown[] = [];
  const tag: Middleware = (_req, next, ctx) => {
    ctx.handshake!.data.ip = ctx.ip;
    ctx.handshake!.setHeader('x-served-by', 'ody');
    return next();
  };
  await using s = serve({ middleware: [tag], callbacks: { open: (_s: WsServer, r: OpenRequest) => void opens.push(r.data) } });
  const res = await fetch(s.http, { headers: HANDSHAKE_HEADERS });
  expect([res.status, res.headers.get('x-served-by')]).toEqual([101, 'ody']);
  await until(() => opens.length === 1, 'open');
  expect(opens).toEqual([{ ip: '127.0.0.1' }]);
});

test('a throwing handshake middleware rejects with 500, fires onDisconnect, and is logged', async () => {
  using logs = captureLogs();
  const disconnects: number[] = [];
  await using s = serve({
    middleware: [() => { throw new Error('mw kaboom'); }],
    callbacks: { disconnect: (_s: WsServer, fd: number) => void disconnects.push(fd) },
  });
  const c = connect(s.ws);
  await c.closed;
  expect((await fetch(s.http, { headers: HANDSHAKE_HEADERS })).status).toBe(500);
  await until(() => disconnects.length === 2, 'disconnects');
  expect(logs.lines.filter((l) => l.includes('kaboom'))).toEqual(['error handshake middleware (fd 1) failed: Error: mw kaboom', 'error handshake middleware (fd 2) failed: Error: mw kaboom']);
});

test('only next() can upgrade: a middleware answering 101 itself gets 500', async () => {
  using logs = captureLogs();
  await using s = serve({ middleware: [() => new Response(null, { status: 101 })] });
  expect((await fetch(s.http, { headers: HANDSHAKE_HEADERS })).status).toBe(500);
  expect(logs.lines.some((l) => l.includes('answered 101 without next()'))).toBe(true);
});

test('a middleware that forgets to return a Response fails that request with 500, not the server', async () => {
  using logs = captureLogs();
  const forgetful = ((_req: Request, next: () => Promise<Response>) => void next()) as unknown as Middleware;
  await using s = serve({ middleware: [forgetful], callbacks: { request: () => new Response('fine') } });
  expect((await fetch(`${s.http}/x`)).status).toBe(500);
  expect(logs.lines.some((l) => l.includes('middleware must return a Response'))).toBe(true);
});

test('isUpgrade() tells the upgrade marker from a real answer', () => {
  expect([isUpgrade(new Response(null, { status: 101 })), isUpgrade(new Response('x'))]).toEqual([true, false]);
});
