// Rule: reload swaps .env, config, hooks and the whole pipeline (routes, middleware, guards, API auth, limits)
// together; connection-lasting state (per-IP counts, message buckets) carries over; a reload that fails or
// needs a restart changes nothing and says why.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerPackageModule } from '../../src/cli/package-module';
import { loadConfig } from '../../src/config/load';
import { setLogLevel } from '../../src/log/logger';
import { resolveHooks } from '../../src/server/callbacks';
import { commitReload, prepareReload } from '../../src/server/reload';
import { startServer } from '../../src/server/serve';
import { connect, HANDSHAKE_HEADERS, open } from '../helpers/client';
import { project } from '../helpers/binary';

beforeAll(() => registerPackageModule());
afterAll(() => {
  delete process.env.ODY_T_RELOAD_SECRET;
  delete process.env.ODY_T_RELOAD_PORT;
  setLogLevel('error');
});

const config = (v: string, origin: string) => `
import { defineConfig, env, type Middleware } from '@ody/websocket-server';
const tag: Middleware = async (request, next) => { const r = await next(); if (r.status !== 101) r.headers.set('x-mw', '${v}'); return r; };
export default defineConfig({
  port: env('ODY_T_RELOAD_PORT', 0),
  secretKey: env('ODY_T_RELOAD_SECRET', 'unset'),
  routes: { 'GET /v': () => new Response('${v}') },
  middleware: [tag],
  security: { allowedOrigins: ['${origin}'], messageRateLimit: { limit: 2, windowSeconds: 3600 } },
  additional: { workerNum: 1, logLevel: 'error', maxConnectionsPerIp: 1, shutdownTimeout: 1 },
});
`;

test('after a reload the new routes, middleware, origins and API secret serve; counts and buckets carry over', async () => {
  const dir = project({ '.env': 'ODY_T_RELOAD_SECRET=first-secret-0123456789\n', 'config/websockets.ts': config('v1', 'https://one.example') });
  const options = { root: dir };
  const running = startServer(await loadConfig(options), resolveHooks({}));
  await using _ = { [Symbol.asyncDispose]: () => running.stop() };
  const http = `http://127.0.0.1:${running.node.bun.port}`;
  const ws = http.replace('http', 'ws');
  const stats = (key: string) => fetch(`${http}/_ody/stats`, { headers: { 'x-api-key': key } }).then((r) => r.status);
  const shake = (origin: string) => fetch(http, { headers: { ...HANDSHAKE_HEADERS, origin } }).then((r) => r.status);
  const v = () => fetch(`${http}/v`).then(async (r) => [await r.text(), r.headers.get('x-mw')]);

  const a = await open(ws, { headers: { origin: 'https://one.example' } });
  a.send('1');
  a.send('2'); // the bucket (2 per hour) is now empty
  expect([await v(), await stats('first-secret-0123456789'), await shake('https://one.example')]).toEqual([['v1', 'v1'], 200, 503]); // 503: one per IP

  writeFileSync(join(dir, '.env'), 'ODY_T_RELOAD_SECRET=second-secret-0123456789\n');
  writeFileSync(join(dir, 'config/websockets.ts'), config('v2', 'https://two.example'));
  commitReload(running, await prepareReload(options, running));

  expect(process.env.ODY_T_RELOAD_SECRET).toBe('second-secret-0123456789');
  expect([await v(), await stats('first-secret-0123456789'), await stats('second-secret-0123456789')]).toEqual([['v2', 'v2'], 401, 200]);
  expect([await shake('https://one.example'), await shake('https://two.example')]).toEqual([403, 503]); // new origins; a's slot still counts
  a.send('3');
  expect((await a.closed).code).toBe(1008); // its bucket carried over: still empty
  const b = await open(ws, { headers: { origin: 'https://two.example' } }); // a's slot was freed through the new pipeline
  b.close();
});

test('a reload that does not load, or changes a restart-only key, changes nothing (not even the environment)', async () => {
  const dir = project({ '.env': 'ODY_T_RELOAD_SECRET=first-secret-0123456789\n', 'config/websockets.ts': config('v1', 'https://one.example') });
  const options = { root: dir };
  const running = startServer(await loadConfig(options), resolveHooks({}));
  await using _ = { [Symbol.asyncDispose]: () => running.stop() };
  const http = `http://127.0.0.1:${running.node.bun.port}`;
  const before = { pipeline: running.pipeline, config: running.server.config, hooks: running.hooks };

  writeFileSync(join(dir, '.env'), 'ODY_T_RELOAD_SECRET=second-secret-0123456789\n');
  writeFileSync(join(dir, 'config/websockets.ts'), `export default { routes: { 'GET /v': ['NoSuchClass', 'x'] } }; {{\n`);
  await expect(prepareReload(options, running)).rejects.toThrow(/config .*websockets\.ts failed to load/);
  writeFileSync(join(dir, '.env'), 'ODY_T_RELOAD_SECRET=second-secret-0123456789\nODY_T_RELOAD_PORT=1234\n');
  writeFileSync(join(dir, 'config/websockets.ts'), config('v2', 'https://two.example').replace("workerNum: 1", 'workerNum: 3'));
  await expect(prepareReload(options, running)).rejects.toThrow(
    'reload refused, nothing was changed: port (0 -> 1234), additional.workerNum (1 -> 3) only apply on a restart (ody websocket stop, then start)',
  );
  expect({ pipeline: running.pipeline, config: running.server.config, hooks: running.hooks }).toEqual(before);
  expect([process.env.ODY_T_RELOAD_SECRET, process.env.ODY_T_RELOAD_PORT]).toEqual(['first-secret-0123456789', undefined]);
  expect(await fetch(`${http}/v`).then((r) => r.text())).toBe('v1');
  const c = connect(`ws://127.0.0.1:${running.node.bun.port}`, { headers: { origin: 'https://one.example' } });
  await c.opened;
  c.close();
});
