// Rule: each per-app limit is enforced where the work happens, with the protocol's answer: a disabled app gets 4003
// and 403, an origin not in the app's allowedOrigins 4009, HTTP API events over maxBackendEventsPerSecond and reads
// over maxReadRequestsPerSecond 429, client events over the app's maxClientEventsPerSecond pusher:error 4301.
import { expect, test } from 'bun:test';
import type { AppConfig } from '../../src/config/schema';
import { serve } from '../helpers/server';
import { pusherSocket, sdk } from './fixtures';

const APP = { id: 'lim', key: 'lim-key', secret: 'lim-secret' };
const withApp = (limits: Partial<AppConfig>) => serve({ apps: [{ ...APP, ...limits }] });
const failed = (p: Promise<unknown>) => p.then(() => ({ status: 200 }), (e: { status: number }) => e);

test('enabled: false refuses sockets with 4003 and the HTTP API with 403', async () => {
  await using server = withApp({ enabled: false });
  const { client, first } = await pusherSocket(server.ws, APP.key);
  expect(first).toEqual({ event: 'pusher:error', data: { code: 4003, message: 'App is disabled' } });
  expect((await client.closed).code).toBe(4003);
  expect((await failed(sdk(server.http, APP).trigger('news', 'e', {}))).status).toBe(403);
});

test('allowedOrigins: a browser page on another origin gets 4009; a listed origin and non-browsers connect', async () => {
  await using server = withApp({ allowedOrigins: ['https://*.example.com'] });
  const evil = await pusherSocket(server.ws, APP.key, { origin: 'https://evil.test' });
  expect(evil.first).toEqual({ event: 'pusher:error', data: { code: 4009, message: 'Origin not allowed for this app' } });
  expect((await evil.client.closed).code).toBe(4009);
  expect((await pusherSocket(server.ws, APP.key, { origin: 'https://shop.example.com' })).first.event).toBe('pusher:connection_established');
  expect((await pusherSocket(server.ws, APP.key)).first.event).toBe('pusher:connection_established');
});

test('maxBackendEventsPerSecond: a batch over the budget gets 429 and delivers nothing; one within it passes', async () => {
  await using server = withApp({ maxBackendEventsPerSecond: 2 });
  const api = sdk(server.http, APP);
  const batch = [1, 2, 3].map((n) => ({ channel: 'news', name: 'e', data: { n } }));
  const refused = (await failed(api.triggerBatch(batch))) as { status: number; body?: string };
  expect(refused.status).toBe(429);
  expect(refused.body).toBe('{"error":"More than 2 events per second for app lim"}');
  expect((await api.triggerBatch(batch.slice(0, 2))).status).toBe(200);
});

test('maxReadRequestsPerSecond: a second read within the second gets 429; triggers are not reads', async () => {
  await using server = withApp({ maxReadRequestsPerSecond: 1 });
  const api = sdk(server.http, APP);
  expect((await api.get({ path: '/channels' })).status).toBe(200);
  expect((await failed(api.get({ path: '/channels' }))).status).toBe(429);
  expect((await api.trigger('news', 'e', {})).status).toBe(200);
});

test("maxClientEventsPerSecond: the app's second client event in a second is refused with 4301, from another socket too", async () => {
  await using server = withApp({ maxClientEventsPerSecond: 1 });
  const api = sdk(server.http, APP);
  const sockets = [];
  for (let i = 0; i < 2; i++) {
    const { client, first } = await pusherSocket(server.ws, APP.key);
    const auth = api.authorizeChannel(first.data.socket_id, 'private-room').auth;
    client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'private-room', auth } }));
    expect(JSON.parse((await client.next()) as string).event).toBe('pusher_internal:subscription_succeeded');
    sockets.push(client);
  }
  const [a, b] = sockets as [(typeof sockets)[0], (typeof sockets)[0]];
  a.send(JSON.stringify({ event: 'client-typing', channel: 'private-room', data: { n: 1 } }));
  expect(JSON.parse((await b.next()) as string)).toEqual({ event: 'client-typing', channel: 'private-room', data: { n: 1 } });
  b.send(JSON.stringify({ event: 'client-typing', channel: 'private-room', data: { n: 2 } }));
  expect(JSON.parse((await b.next()) as string)).toEqual({ event: 'pusher:error', data: { code: 4301, message: 'Client event rejected: the app allows 1 per second' } });
});
