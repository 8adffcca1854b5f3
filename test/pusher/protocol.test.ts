// Rule: the wire protocol as pusher-js and Laravel Echo expect it, and bad input answered with a clear pusher:error
// (or close code) while the connection and the server survive. One binary (1 worker) whose controller uses the
// package's authorizeChannel, server.trigger and server.channels, as an app would.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import Echo from 'laravel-echo';
import PusherSdk from 'pusher';
import Pusher from 'pusher-js';
import { ensureBinary, type Ody, project, startOdy } from '../helpers/binary';
import { open, type TestClient } from '../helpers/client';
import { APP, receiver, waitFor } from './fixtures';

const ROUTES = `
import { authorizeChannel } from '@ody/websocket-server';
const app = { key: '${APP.key}', secret: '${APP.secret}' };
export const routes = {
  // An auth endpoint as Laravel's /broadcasting/auth: form-encoded socket_id and channel_name.
  async auth(request: Request) {
    const form = new URLSearchParams(await request.text());
    const channel = form.get('channel_name')!;
    const presence = channel.startsWith('presence-') ? { user_id: 'echo-user', user_info: { name: 'Echo' } } : undefined;
    return Response.json(authorizeChannel(app, form.get('socket_id')!, channel, presence));
  },
  notify(request: Request, ctx: any) {
    ctx.server.trigger(new URL(request.url).searchParams.get('channel') ?? 'news', 'notice', { from: 'server' });
    return new Response('sent');
  },
  async members(request: Request, ctx: any) {
    const channel = new URL(request.url).searchParams.get('channel')!;
    return Response.json({ members: await ctx.server.channels.members(channel), list: await ctx.server.channels.list('presence-') });
  },
};
`;

const CONFIG = (hook: string) => `
import { defineConfig } from '@ody/websocket-server';
import { routes } from '../routes';
export default defineConfig({
  port: 0,
  routes: { 'POST /auth': routes.auth, 'POST /notify': routes.notify, 'GET /members': routes.members },
  apps: [{ id: '${APP.id}', key: '${APP.key}', secret: '${APP.secret}', activityTimeout: 1, maxEventSize: 100, webhooks: [{ url: '${hook}' }] },
    { id: 'app2', key: 'key2', secret: 'secret-two', subscriptionCount: true }],
  additional: { workerNum: 1, logLevel: 'info', shutdownTimeout: 2 },
});
`;

let ody: Ody;
const hooks = receiver();
beforeAll(async () => {
  ensureBinary();
  ody = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': CONFIG(hooks.url), 'routes.ts': ROUTES }));
}, 30_000);
afterAll(async () => {
  await ody?.stop();
  hooks.stop();
});

async function raw(key = APP.key): Promise<{ c: TestClient; next: () => Promise<any>; socketId: string }> {
  const c = await open(`${ody.url}/app/${key}?protocol=7&client=js&version=8.6.0`);
  const next = async () => JSON.parse(String(await c.next(5000)));
  const first = await next();
  const socketId = first.event === 'pusher:connection_established' ? JSON.parse(first.data).socket_id : '';
  if (!socketId) (c as any).first = first;
  return { c, next, socketId };
}

test('connection_established carries a digits.digits socket_id and activity_timeout as a JSON string; ping gets pong', async () => {
  const c = await open(`${ody.url}/app/${APP.key}?protocol=7`);
  const established = JSON.parse(String(await c.next()));
  expect(established.event).toBe('pusher:connection_established');
  expect(typeof established.data).toBe('string');
  expect(JSON.parse(established.data)).toEqual({ socket_id: expect.stringMatching(/^\d+\.\d+$/), activity_timeout: 1 });
  c.send('{"event":"pusher:ping","data":{}}');
  expect(JSON.parse(String(await c.next()))).toEqual({ event: 'pusher:pong', data: {} });
  c.close();
});

test('an unknown app key gets pusher:error 4001 and close 4001', async () => {
  const c = await open(`${ody.url}/app/nokey?protocol=7`);
  expect(JSON.parse(String(await c.next()))).toEqual({ event: 'pusher:error', data: { code: 4001, message: 'App key does not exist' } });
  expect((await c.closed).code).toBe(4001);
});

test('bad input gets a pusher:error and the connection keeps working', async () => {
  const { c, next } = await raw();
  const errors: string[] = [];
  for (const bad of ['{not json', '[]', '{"event":"pusher:bogus"}', new Uint8Array([1, 2, 3]), '{"event":"pusher:subscribe","data":{"channel":"bad name!"}}']) {
    c.send(bad);
    const answer = await next();
    errors.push(`${answer.event} ${answer.data?.message ?? answer.data?.error}`);
  }
  expect(errors).toEqual([
    'pusher:error Invalid JSON: every message must be {"event":…,"data":…}',
    'pusher:error Invalid message: "event" must be a string',
    "pusher:error Unknown event 'pusher:bogus'",
    'pusher:error Binary frames are not part of the protocol: send JSON text',
    'pusher:subscription_error channel name may contain only A-Z a-z 0-9 _ - = @ , . ;',
  ]);
  c.send('{"event":"pusher:subscribe","data":{"channel":"private-x","auth":"key1:00"}}');
  expect(await next()).toEqual({ event: 'pusher:subscription_error', channel: 'private-x', data: { type: 'AuthError', error: 'Invalid signature', status: 401 } });
  c.send('{"event":"pusher:subscribe","data":{"channel":"#server-to-user-bob"}}');
  expect((await next()).data.type).toBe('AuthError');
  c.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'p'.repeat(165) } }));
  expect((await next()).data.error).toBe('channel name longer than 164 characters');
  c.send('{"event":"pusher:subscribe","data":{"channel":"open"}}');
  expect(await next()).toEqual({ event: 'pusher_internal:subscription_succeeded', channel: 'open', data: '{}' });
  c.send('{"event":"client-x","channel":"open","data":{}}');
  expect((await next()).data.message).toBe('Client events are allowed only on private and presence channels');
  c.close();
});

test('a bad sign-in gets pusher:error 4009 and close 4009', async () => {
  const { c, next } = await raw();
  c.send(JSON.stringify({ event: 'pusher:signin', data: { auth: `${APP.key}:abc`, user_data: '{"id":"1"}' } }));
  expect(await next()).toEqual({ event: 'pusher:error', data: { code: 4009, message: 'Invalid user authentication' } });
  expect((await c.closed).code).toBe(4009);
});

test('a client that never answers the server\'s pusher:ping is closed with 4201', async () => {
  const { c, next } = await raw();
  expect(await next()).toEqual({ event: 'pusher:ping', data: {} });
  expect(await next()).toEqual({ event: 'pusher:error', data: { code: 4201, message: 'Pong reply not received in time' } });
  expect((await c.closed).code).toBe(4201);
});

test('cache channels: a miss is told (and webhooked), then the last event is replayed to new subscribers', async () => {
  const { c, next } = await raw();
  c.send('{"event":"pusher:subscribe","data":{"channel":"cache-scores"}}');
  expect((await next()).event).toBe('pusher_internal:subscription_succeeded');
  expect(await next()).toEqual({ event: 'pusher:cache_miss', channel: 'cache-scores' });
  await waitFor(() => hooks.about('cache-scores').some((e) => e.name === 'cache_miss'), 'cache_miss webhook');
  await fetch(`${ody.http}/notify?channel=cache-scores`, { method: 'POST' });
  const live = { event: 'notice', channel: 'cache-scores', data: '{"from":"server"}' };
  expect(await next()).toEqual(live);
  const second = await raw();
  second.c.send('{"event":"pusher:subscribe","data":{"channel":"cache-scores"}}');
  expect((await second.next()).event).toBe('pusher_internal:subscription_succeeded');
  expect(await second.next()).toEqual(live);
  // The HTTP API shows it too (info=cache): the event's data and its time left (30 min at most).
  const sdk = new PusherSdk({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: new URL(ody.http).port, useTLS: false });
  const described = (await (await sdk.get({ path: '/channels/cache-scores', params: { info: 'cache' } })).json()) as { cache: { data: string; ttl: number } };
  expect(described.cache.data).toBe(live.data);
  expect(described.cache.ttl).toBeGreaterThan(1700);
  expect(described.cache.ttl).toBeLessThanOrEqual(1800);
  c.close();
  second.c.close();
});

test('subscription_count is sent when an app opts in, with the cluster-wide count', async () => {
  const a = await raw('key2');
  const b = await raw('key2');
  for (const x of [a, b]) x.c.send('{"event":"pusher:subscribe","data":{"channel":"counted"}}');
  const counts: number[] = [];
  while (!counts.includes(2)) {
    const m = await a.next();
    if (m.event === 'pusher_internal:subscription_count') counts.push(JSON.parse(m.data).subscription_count);
  }
  expect(counts.at(-1)).toBe(2);
  a.c.close();
  b.c.close();
});

test('Laravel Echo (reverb broadcaster) joins a presence channel through an auth route built with authorizeChannel; server.trigger and server.channels reach it', async () => {
  const url = new URL(ody.url);
  const echo = new Echo({
    broadcaster: 'reverb', key: APP.key, wsHost: url.hostname, wsPort: Number(url.port), forceTLS: false, enabledTransports: ['ws'], disableStats: true,
    authEndpoint: `${ody.http}/auth`, Pusher,
  } as never);
  try {
    const here = Promise.withResolvers<unknown[]>();
    echo.join('room').here((members: unknown[]) => here.resolve(members));
    expect(await here.promise).toEqual([{ name: 'Echo' }]);
    const notices: unknown[] = [];
    echo.channel('news').listen('.notice', (e: unknown) => notices.push(e));
    await waitFor(async () => {
      await fetch(`${ody.http}/notify`, { method: 'POST' });
      await Bun.sleep(50);
      return notices.length > 0;
    }, 'server.trigger reaching Echo');
    expect(notices[0]).toEqual({ from: 'server' });
    const seen = await (await fetch(`${ody.http}/members?channel=presence-room`)).json();
    expect(seen).toEqual({ members: [{ id: 'echo-user', info: { name: 'Echo' } }], list: [{ channel: 'presence-room', subscriptions: 1, users: 1 }] });
  } finally {
    echo.disconnect();
  }
});

test('a graceful stop closes Pusher sockets with 4200, so clients reconnect at once', async () => {
  const { c } = await raw();
  void ody.stop();
  expect((await c.closed).code).toBe(4200);
});
