// Rule: webhooks cannot be made to grow without bound: a channel's cache_miss webhook goes at most once per
// CACHE_MISS_EVERY_MS however often it is provoked, the queue of undelivered batches is bounded (the oldest dropped,
// counted in /metrics), at most MAX_CONCURRENT_POSTS requests are in flight at once, and retries are jittered.
import { expect, test } from 'bun:test';
import { MAX_CONCURRENT_POSTS, MAX_QUEUED_BATCHES } from '../../src/pusher/webhooks';
import { connect } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

/** A webhook receiver: `answer` decides each request; records events and the most requests open at once. */
function receiver(answer: () => Response | Promise<Response>) {
  const events: { name: string; channel: string }[] = [];
  let open = 0;
  let most = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      open++;
      most = Math.max(most, open);
      try {
        events.push(...JSON.parse(await request.text()).events);
        return await answer();
      } finally {
        open--;
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hooks`, events, most: () => most, [Symbol.dispose]: () => void server.stop(true) };
}

test('a subscribe/unsubscribe loop on an empty cache channel sends one cache_miss webhook, not one per loop', async () => {
  using hooks = receiver(() => new Response('ok'));
  await using server = serve({ apps: [{ ...APP, webhooks: [{ url: hooks.url, events: ['cache_miss'] }] }] });
  using client = connect(`${server.ws}/app/${APP.key}?protocol=7`);
  await client.opened;
  for (let i = 0; i < 20; i++) {
    client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'cache-empty' } }));
    client.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: 'cache-empty' } }));
  }
  client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'cache-marker' } }));
  // Every loop's client still hears its cache miss; the marker's webhook comes after the loop's.
  await until(() => client.messages.filter((m) => (m as string).includes('pusher:cache_miss')).length === 21, 'the cache misses');
  await until(() => hooks.events.some((e) => e.channel === 'cache-marker'), 'the marker webhook');
  expect(hooks.events.filter((e) => e.channel === 'cache-empty')).toEqual([expect.objectContaining({ name: 'cache_miss', channel: 'cache-empty' })]);
});

test('with the receiver failing, the retry queue keeps at most MAX_QUEUED_BATCHES batches and /metrics counts the dropped', async () => {
  using logs = captureLogs();
  using hooks = receiver(() => new Response('down', { status: 500 }));
  await using server = serve({ secretKey: 'metrics-secret', additional: { logLevel: 'warning' }, apps: [{ ...APP, webhooks: [{ url: hooks.url, events: ['client_event'] }] }] });
  const layer = server.server.pusher!;
  const app = layer.app(APP.id)!;
  // 100 events make a batch at once: MAX_QUEUED_BATCHES + 3 batches.
  for (let i = 0; i < (MAX_QUEUED_BATCHES + 3) * 100; i++) layer.webhooks.send(app, { name: 'client_event', channel: 'private-x', event: 'client-e', data: '{}' });
  expect(server.node.counters.webhooksOverflow).toBe(3);
  const metrics = await (await fetch(`${server.http}/metrics`, { headers: { 'x-api-key': 'metrics-secret' } })).text();
  expect(metrics).toContain('ody_webhooks_dropped_total{worker="0",reason="overflow"} 3');
  expect(logs.lines.filter((l) => l.includes('dropped the oldest batch'))).toHaveLength(3);
});

test('a backlog of batches is posted at most MAX_CONCURRENT_POSTS at a time', async () => {
  const gate = Promise.withResolvers<void>();
  using hooks = receiver(async () => {
    await gate.promise;
    return new Response('ok');
  });
  await using server = serve({ apps: [{ ...APP, webhooks: [{ url: hooks.url, events: ['client_event'] }] }] });
  const layer = server.server.pusher!;
  const app = layer.app(APP.id)!;
  for (let i = 0; i < 30 * 100; i++) layer.webhooks.send(app, { name: 'client_event', channel: 'private-x', event: 'client-e', data: '{}' });
  await until(() => hooks.most() === MAX_CONCURRENT_POSTS, 'the first posts to arrive');
  gate.resolve();
  await until(() => layer.webhooks.stats.sent === 30, 'every batch delivered', 10_000);
  expect(hooks.most()).toBe(MAX_CONCURRENT_POSTS);
});

test('batches that failed together are retried after jittered waits (half to all of the backoff), not all at once', async () => {
  using logs = captureLogs();
  using hooks = receiver(() => new Response('down', { status: 500 }));
  await using server = serve({ additional: { logLevel: 'warning' }, apps: [{ ...APP, webhooks: [{ url: hooks.url, events: ['client_event'] }] }] });
  const layer = server.server.pusher!;
  const app = layer.app(APP.id)!;
  for (let i = 0; i < 5 * 100; i++) layer.webhooks.send(app, { name: 'client_event', channel: 'private-x', event: 'client-e', data: '{}' });
  await until(() => logs.lines.filter((l) => l.includes('retrying in')).length === 5, 'five first failures');
  const waits = logs.lines.filter((l) => l.includes('retrying in')).map((l) => Number(/retrying in (\d+) ms/.exec(l)![1]));
  expect(waits.every((w) => w >= 500 && w <= 1000)).toBe(true);
  expect(new Set(waits).size).toBeGreaterThan(1);
});
