// Rule: with subscriptionCount, a changed channel is counted by name: no node scans its channels per subscribe
// (40,000 subscribes from one socket stalled a worker for 13-20 s), and every subscriber still hears the right count.
import { expect, test } from 'bun:test';
import { connect, type TestClient } from '../helpers/client';
import { serve, until } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one', subscriptionCount: true };
const N = 100;

const counts = (client: TestClient) => {
  const last = new Map<string, number>();
  for (const m of client.messages) {
    const frame = JSON.parse(m as string);
    if (frame.event === 'pusher_internal:subscription_count') last.set(frame.channel, JSON.parse(frame.data).subscription_count);
  }
  return last;
};

test('subscription counts of a burst of channels are counted by name, never by scanning every channel', async () => {
  await using server = serve({ apps: [APP] });
  const registry = server.server.pusher!.registry;
  let scans = 0;
  const scan = registry.channels.bind(registry);
  registry.channels = (...args) => (scans++, scan(...args));
  const clients = [connect(`${server.ws}/app/${APP.key}?protocol=7`), connect(`${server.ws}/app/${APP.key}?protocol=7`)];
  for (const client of clients) {
    await client.opened;
    for (let i = 0; i < N; i++) client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `news-${i}` } }));
  }
  await until(() => clients.every((c) => [...counts(c).values()].filter((n) => n === 2).length === N), 'every channel counted at 2 on both sockets', 5000);
  expect(scans).toBe(0);
  for (const c of clients) c.close();
});
