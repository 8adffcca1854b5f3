// Rule: config routes map 'METHOD /path/:param' to handlers; whatever no route matches goes to onRequest.
import { expect, test } from 'bun:test';
import { resolveConfig } from '../../src/config/validate';
import type { RequestContext } from '../../src/index';
import { open } from '../helpers/client';
import { captureLogs, serve } from '../helpers/server';

const onRequest = (req: Request) => new Response(`onRequest ${req.method} ${new URL(req.url).pathname}`, { status: 404 });

test('a route gets the request, decoded params and the server', async () => {
  await using s = serve({
    routes: {
      'GET /users/:id/posts/:post': (req: Request, ctx: RequestContext) =>
        Response.json({ url: new URL(req.url).pathname, params: ctx.params, route: ctx.route, kind: ctx.kind, connections: ctx.server.count() }),
    },
  });
  using c = await open(s.ws);
  const res = await fetch(`${s.http}/users/ada%20l/posts/7`);
  expect(await res.json()).toEqual({ url: '/users/ada%20l/posts/7', params: { id: 'ada l', post: '7' }, route: 'GET /users/:id/posts/:post', kind: 'http', connections: 1 });
});

test('[Class, method] route handlers: static, or on one shared instance', async () => {
  class Users {
    count = 0;
    static list() {
      return new Response('all users');
    }
    create(req: Request, ctx: RequestContext) {
      this.count++;
      return new Response(`created #${this.count} by ${ctx.ip}`, { status: 201 });
    }
  }
  await using s = serve({ routes: { 'GET /users': [Users, 'list'], 'POST /users': [Users, 'create'] } });
  const list = await fetch(`${s.http}/users`);
  const first = await fetch(`${s.http}/users`, { method: 'POST' });
  const second = await fetch(`${s.http}/users/`, { method: 'POST' }); // a trailing slash matches too
  expect([await list.text(), first.status, await first.text(), await second.text()]).toEqual(['all users', 201, 'created #1 by 127.0.0.1', 'created #2 by 127.0.0.1']);
});

test('unmatched paths, other methods and extra segments fall through to onRequest', async () => {
  await using s = serve({ routes: { 'GET /users/:id': () => new Response('route') }, callbacks: { request: onRequest } });
  const answers = await Promise.all([
    fetch(`${s.http}/users/1`).then((r) => r.text()),
    fetch(`${s.http}/users/1`, { method: 'DELETE' }).then((r) => r.text()),
    fetch(`${s.http}/users/1/extra`).then((r) => r.text()),
    fetch(`${s.http}/users`).then((r) => r.text()),
  ]);
  expect(answers).toEqual(['route', 'onRequest DELETE /users/1', 'onRequest GET /users/1/extra', 'onRequest GET /users']);
});

test('the first declared route that matches wins', async () => {
  await using s = serve({ routes: { 'GET /files/readme': () => new Response('literal'), 'GET /files/:name': (_r: Request, c: RequestContext) => new Response(`param ${c.params.name}`) } });
  expect([await (await fetch(`${s.http}/files/readme`)).text(), await (await fetch(`${s.http}/files/other`)).text()]).toEqual(['literal', 'param other']);
});

test('a route that throws answers 500, is logged with its pattern, and the server keeps serving', async () => {
  using logs = captureLogs();
  await using s = serve({ routes: { 'GET /boom': () => { throw new Error('route kaboom'); }, 'GET /ok': () => new Response('ok') } });
  expect((await fetch(`${s.http}/boom`)).status).toBe(500);
  expect(await (await fetch(`${s.http}/ok`)).text()).toBe('ok');
  expect(logs.lines.filter((l) => l.includes('kaboom'))).toEqual(["error route 'GET /boom' failed: Error: route kaboom"]);
  expect(s.server.stats().callbackErrors).toBe(1);
});

test('bad route patterns and handlers are refused at startup, naming the route', () => {
  const load = (routes: unknown) => () => resolveConfig({ routes }, process.cwd(), null);
  expect(load({ 'FETCH /x': () => new Response() })).toThrow("config routes['FETCH /x']: expected 'METHOD /path' with METHOD one of GET, POST");
  expect(load({ 'GET users': () => new Response() })).toThrow("config routes['GET users']: expected 'METHOD /path'");
  expect(load({ 'GET /a/:': () => new Response() })).toThrow("config routes['GET /a/:']: expected a parameter name after ':'");
  expect(load({ 'GET /a': 'handler' })).toThrow("config routes['GET /a']: expected an object, got 'handler'");
  expect(load({ 'GET /a': { handler: () => new Response(), middleware: ['auth'] } })).toThrow("config routes['GET /a'].middleware[0]: expected a function");
  class Ctl {
    show() {}
  }
  expect(() => serve({ routes: { 'GET /a': [Ctl, 'shw'] } })).toThrow("config routes['GET /a']: Ctl has no method 'shw' (did you mean 'show'?)");
});

test('a route handler can use the server to reach WebSocket clients', async () => {
  await using s = serve({ routes: { 'POST /announce': async (req: Request, ctx: RequestContext) => Response.json({ delivered: ctx.server.broadcast(await req.text()) }) } });
  using a = await open(s.ws);
  const res = await fetch(`${s.http}/announce`, { method: 'POST', body: 'doors open' });
  expect([await res.json(), await a.next()]).toEqual([{ delivered: 1 }, 'doors open']);
});

test('a route that returns no Response answers 500 and says so in the log', async () => {
  using logs = captureLogs();
  await using s = serve({ routes: { 'GET /nothing': (() => undefined) as never } });
  expect((await fetch(`${s.http}/nothing`)).status).toBe(500);
  expect(logs.lines).toEqual(["error route 'GET /nothing' failed: TypeError: expected a Response, got undefined"]);
});
