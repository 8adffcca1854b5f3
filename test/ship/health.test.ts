// Rule: /health and /ready answer on every server before middleware, routes and rate limits, without the secret,
// revealing nothing about the machine. (What makes /ready 503 is tested beside the module: src/http/health.test.ts.)
import { expect, test } from 'bun:test';
import { resolveConfig } from '../../src/config/validate';
import type { Middleware } from '../../src/index';
import { serve } from '../helpers/server';

test('probes are answered before global middleware, routes and the HTTP rate limit, with no secret', async () => {
  const seen: string[] = [];
  const denyAll: Middleware = (request) => (seen.push(new URL(request.url).pathname), new Response('no', { status: 401 }));
  await using s = serve({
    middleware: [denyAll],
    routes: { 'GET /health': () => new Response('route'), 'GET /ready': () => new Response('route') },
    security: { httpRateLimit: { limit: 1, windowSeconds: 3600 } },
    secretKey: 'a-long-secret-nobody-sends',
  });
  const answers = [];
  for (const path of ['/health', '/ready', '/health', '/ready']) {
    const res = await fetch(`${s.http}${path}`);
    answers.push([path, res.status, res.headers.get('cache-control'), await res.json()]);
  }
  expect(answers).toEqual([
    ['/health', 200, 'no-store', { status: 'ok' }],
    ['/ready', 200, 'no-store', { status: 'ready' }],
    ['/health', 200, 'no-store', { status: 'ok' }],
    ['/ready', 200, 'no-store', { status: 'ready' }],
  ]);
  expect(seen).toEqual([]); // the middleware never saw a probe
  expect((await fetch(`${s.http}/other`)).status).toBe(401); // and still guards everything else
});

test('paths are configurable; the old paths then reach the app; HEAD has no body; other methods get 405', async () => {
  await using s = serve({ health: { path: '/livez', readyPath: '/readyz' }, callbacks: { request: () => new Response('app', { status: 418 }) } });
  expect([(await fetch(`${s.http}/livez`)).status, (await fetch(`${s.http}/readyz`)).status]).toEqual([200, 200]);
  expect([(await fetch(`${s.http}/health`)).status, (await fetch(`${s.http}/ready`)).status]).toEqual([418, 418]);
  const head = await fetch(`${s.http}/livez`, { method: 'HEAD' });
  expect([head.status, await head.text()]).toEqual([200, '']);
  const post = await fetch(`${s.http}/readyz`, { method: 'POST' });
  expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
});

test('health: { enabled: false } leaves the paths to the app', async () => {
  await using s = serve({ health: { enabled: false }, routes: { 'GET /health': () => new Response('mine') } });
  expect(await (await fetch(`${s.http}/health`)).text()).toBe('mine');
  expect((await fetch(`${s.http}/ready`)).status).toBe(404);
});

test('health paths are validated like every other key', () => {
  const load = (config: unknown) => () => resolveConfig(config, process.cwd(), null);
  expect(load({ health: { path: 'health' } })).toThrow("config health.path: expected a path like '/health' (leading slash, no trailing slash), got 'health'");
  expect(load({ health: { readyPath: '/health' } })).toThrow("config health.readyPath: expected a path other than health.path, got '/health'");
  expect(load({ health: { liveness: '/x' } })).toThrow('config health.liveness: unknown key; known keys: enabled, path, readyPath');
  expect(load({ health: { enabled: 'yes' } })).toThrow('config health.enabled: expected true or false');
  expect(resolveConfig({}, process.cwd(), null).health).toEqual({ enabled: true, path: '/health', readyPath: '/ready' });
});
