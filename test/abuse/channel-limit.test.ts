// Rule: one connection may hold at most maxChannelsPerConnection channels (per app, default 100); the next subscribe
// gets pusher:subscription_error LimitReached and subscribes nothing, presence subscribes in flight included, and
// an unsubscribe frees a place.
import { expect, test } from 'bun:test';
import { authorizeChannel } from '../../src/pusher/signatures';
import { connect, type TestClient } from '../helpers/client';
import { redisMissing, startRedis } from '../helpers/redis';
import { serve } from '../helpers/server';
import { serveNode } from './nodes';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

async function established(url: string): Promise<{ client: TestClient; socketId: string }> {
  const client = connect(`${url}/app/${APP.key}?protocol=7`);
  const hello = JSON.parse((await client.next()) as string);
  return { client, socketId: JSON.parse(hello.data).socket_id };
}

const subscribe = (client: TestClient, channel: string, auth: object = {}) => client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, ...auth } }));
const answers = async (client: TestClient, n: number) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const m = JSON.parse((await client.next()) as string);
    out.push(`${m.event} ${m.channel}`);
  }
  return out;
};
const LIMIT_ERROR = (channel: string) => JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type: 'LimitReached', error: 'A connection may subscribe to at most 100 channels', status: 403 } });

test('the 101st channel of a connection is refused by default; an unsubscribe makes room', async () => {
  await using server = serve({ apps: [APP] });
  const { client } = await established(server.ws);
  for (let i = 0; i < 101; i++) subscribe(client, `news-${i}`);
  const got = await answers(client, 101);
  expect(got.filter((a) => a.startsWith('pusher_internal:subscription_succeeded'))).toHaveLength(100);
  expect(client.messages.at(-1)).toBe(LIMIT_ERROR('news-100'));
  expect((await server.server.channels.list('news-')).length).toBe(100);
  subscribe(client, 'news-0'); // already held: still fine
  client.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: 'news-1' } }));
  subscribe(client, 'news-100');
  expect(await answers(client, 2)).toEqual(['pusher_internal:subscription_succeeded news-0', 'pusher_internal:subscription_succeeded news-100']);
  client.close();
});

test('maxChannelsPerConnection is per app; presence channels count too', async () => {
  await using server = serve({ apps: [{ ...APP, maxChannelsPerConnection: 2 }] });
  const { client, socketId } = await established(server.ws);
  for (const channel of ['presence-a', 'news', 'presence-c']) subscribe(client, channel, channel === 'news' ? {} : authorizeChannel(APP, socketId, channel, { user_id: 'u' }));
  expect(await answers(client, 3)).toEqual(['pusher_internal:subscription_succeeded presence-a', 'pusher_internal:subscription_succeeded news', 'pusher:subscription_error presence-c']);
  expect(client.messages.at(-1)).toBe(LIMIT_ERROR('presence-c').replace('100', '2'));
  client.close();
});

// With a second node, a presence subscribe awaits its member list over Redis: a burst of them is all in flight at
// once, and the limit must still hold (a place is reserved before the await).
test.skipIf(redisMissing())('presence subscribes in flight together cannot pass the limit', async () => {
  await using redis = await startRedis();
  const config = { apps: [{ ...APP, maxChannelsPerConnection: 2 }], adapter: { driver: 'redis' as const, url: redis.url, prefix: 'limit' } };
  await using server = await serveNode(config);
  await using other = await serveNode(config);
  const { client, socketId } = await established(server.ws);
  const channels = ['presence-a', 'presence-b', 'presence-c', 'presence-d'];
  for (const channel of channels) subscribe(client, channel, authorizeChannel(APP, socketId, channel, { user_id: 'u' }));
  const got = await answers(client, 4);
  expect(got.filter((a) => a.startsWith('pusher_internal:subscription_succeeded'))).toHaveLength(2);
  expect(got.filter((a) => a.startsWith('pusher:subscription_error'))).toHaveLength(2);
  expect(other.node.adapter.status().peers).toBe(1); // the member lists really were asked of another node
  client.close();
});
