// Rule: a Pusher socket may send messagesPerSecond frames per second (per app, default 100) on top of a burst of
// 2 × maxChannelsPerConnection + messagesPerSecond; the frame over it gets pusher:error 4303, the socket is closed with
// 4303 and nothing it sent after is handled, while other sockets (and a new one) carry on. pusher-js subscribing to
// all its channels at connect, or leaving them all for as many others, stays within it; 0 turns the budget off.
import { expect, test } from 'bun:test';
import { connect, type TestClient } from '../helpers/client';
import { serve, until } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };
const OVER = JSON.stringify({ event: 'pusher:error', data: { code: 4303, message: 'More than 100 messages per second' } });

async function established(url: string): Promise<TestClient> {
  const client = connect(`${url}/app/${APP.key}?protocol=7`);
  expect(JSON.parse((await client.next()) as string).event).toBe('pusher:connection_established');
  return client;
}

const subscribe = (client: TestClient, channel: string) => client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
const unsubscribe = (client: TestClient, channel: string) => client.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel } }));
const events = (client: TestClient) => client.messages.map((m) => JSON.parse(m as string).event as string);

test('a socket flooding subscribes is told 4303 and closed; the others and a new socket carry on', async () => {
  await using server = serve({ apps: [APP] });
  const layer = server.server.pusher!;
  const other = await established(server.ws);
  subscribe(other, 'news');
  expect(JSON.parse((await other.next()) as string).event).toBe('pusher_internal:subscription_succeeded');

  const flood = await established(server.ws);
  for (let i = 0; i < 20_000; i++) subscribe(flood, `flood-${i}`);
  expect(await flood.closed).toEqual({ code: 4303, reason: 'Message rate over budget' });
  // Told once, last; the frames after it were never answered (20,000 sent, a few hundred answered).
  expect(flood.messages.filter((m) => m === OVER)).toHaveLength(1);
  expect(flood.messages.at(-1)).toBe(OVER);
  expect(flood.messages.length).toBeLessThan(2_000);
  expect(server.node.stats().overBudget).toBe(1);
  await until(() => layer.registry.subscribers('app1\u0000flood-0').size === 0, 'the flood socket left its channels');

  layer.publish(layer.app('app1')!, 'news', JSON.stringify({ event: 'tick', channel: 'news', data: '1' }));
  expect(JSON.parse((await other.next()) as string).event).toBe('tick');
  const fresh = await established(server.ws);
  subscribe(fresh, 'news');
  expect(JSON.parse((await fresh.next()) as string).event).toBe('pusher_internal:subscription_succeeded');
  other.close();
  fresh.close();
});

test('subscribing to maxChannelsPerConnection channels at connect, then to as many others, is within the budget', async () => {
  await using server = serve({ apps: [APP] });
  const client = await established(server.ws);
  // The whole burst, sent at once: 100 subscribes, 100 unsubscribes, 99 subscribes and a ping = 300 frames.
  for (let i = 0; i < 100; i++) subscribe(client, `a-${i}`);
  for (let i = 0; i < 100; i++) unsubscribe(client, `a-${i}`);
  for (let i = 0; i < 99; i++) subscribe(client, `b-${i}`);
  client.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
  await until(() => client.messages.length === 1 + 199 + 1, 'every subscribe and the ping answered');
  expect(events(client).filter((e) => e === 'pusher_internal:subscription_succeeded')).toHaveLength(199);
  expect(events(client).at(-1)).toBe('pusher:pong');
  const layer = server.server.pusher!;
  layer.publish(layer.app('app1')!, 'b-0', JSON.stringify({ event: 'tick', channel: 'b-0', data: '1' }));
  await until(() => client.messages.length === 202, 'the event on b-0');
  expect(events(client).at(-1)).toBe('tick');
  expect(server.node.stats().overBudget).toBe(0);
  client.close();
});

test('messagesPerSecond 0 answers every frame', async () => {
  await using server = serve({ apps: [{ ...APP, messagesPerSecond: 0 }] });
  const client = await established(server.ws);
  for (let i = 0; i < 5_000; i++) subscribe(client, `flood-${i}`);
  await until(() => client.messages.length === 1 + 5_000, 'every subscribe answered', 10_000);
  expect(events(client).filter((e) => e === 'pusher:subscription_error')).toHaveLength(4_900);
  client.close();
});
