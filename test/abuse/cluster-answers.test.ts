// Rule: a cluster-wide channel listing is bounded and never silently short. A node answers at most ANSWER_BYTES of
// channel names; a listing that would need more, or that misses a node's answer (Redis cut the asking node's
// subscriber), is a 503 naming why — never a 200 with fewer channels — and a narrower prefix still answers.
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { authorizeChannel } from '../../src/pusher/signatures';
import { connect, type TestClient } from '../helpers/client';
import { redisMissing, startRedis } from '../helpers/redis';
import { captureLogs, until } from '../helpers/server';
import { serveNode } from './nodes';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one', maxChannelsPerConnection: 100_000 };
/** Over ANSWER_BYTES (1 MB) of names for one node: about 47 bytes each. */
const CHANNELS = 30_000;

function signedGet(base: string, path: string, query: Record<string, string> = {}): string {
  const params: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', ...query };
  const sorted = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const signature = createHmac('sha256', APP.secret).update(`GET\n${path}\n${sorted}`).digest('hex');
  return `${base}${path}?${new URLSearchParams({ ...params, auth_signature: signature })}`;
}

async function holdChannels(url: string, n: number): Promise<TestClient> {
  const client = connect(`${url}/app/${APP.key}?protocol=7`);
  await client.opened;
  for (let i = 0; i < n; i++) client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `news-${i}` } }));
  await until(() => client.messages.length === n + 1, `${n} subscriptions`, 20_000);
  return client;
}

async function twoNodes(redisUrl: string) {
  const config = { apps: [APP], adapter: { driver: 'redis' as const, url: redisUrl, prefix: 'answers', requestTimeout: 500 } };
  const asking = await serveNode(config);
  const holding = await serveNode(config);
  await until(() => asking.node.adapter.status().peers === 1, 'the nodes to see each other');
  return { asking, holding };
}

test.skipIf(redisMissing())('a listing over what one answer carries is a 503; a narrower prefix answers', async () => {
  await using redis = await startRedis();
  const { asking, holding } = await twoNodes(redis.url);
  await using _a = asking;
  await using _h = holding;
  using client = await holdChannels(holding.ws, CHANNELS);
  const all = await fetch(signedGet(asking.http, `/apps/${APP.id}/channels`));
  expect([all.status, await all.json()]).toEqual([
    503,
    { error: "The cluster's answer is incomplete: more channels match than one answer carries (about 1048576 bytes per node): narrow the list with filter_by_prefix" },
  ]);
  const narrow = await fetch(signedGet(asking.http, `/apps/${APP.id}/channels`, { filter_by_prefix: 'news-1' }));
  expect(narrow.status).toBe(200);
  expect(Object.keys((await narrow.json()).channels)).toHaveLength(11_111);
}, 60_000);

test.skipIf(redisMissing())('a listing whose answer never arrives (Redis cut the subscriber) is a 503, not 200 with no channels', async () => {
  using logs = captureLogs();
  await using redis = await startRedis();
  const { asking, holding } = await twoNodes(redis.url);
  await using _a = asking;
  await using _h = holding;
  using client = await holdChannels(holding.ws, 5000);
  // A pub/sub output buffer smaller than the answer: Redis drops the asking node's subscriber, as with 36 MB.
  Bun.spawnSync(['redis-cli', '-p', String(redis.port), 'CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 65536 32768 60']);
  const response = await fetch(signedGet(asking.http, `/apps/${APP.id}/channels`));
  expect([response.status, await response.json()]).toEqual([503, { error: "The cluster's answer is incomplete: 1 of 1 other node(s) did not answer in time" }]);
  expect(logs.lines).toContain('error redis connection lost (Connection closed); serving local clients only, retrying');
}, 60_000);

test.skipIf(redisMissing())('a presence member list whose answer never arrives is a 503, not a short 200', async () => {
  using logs = captureLogs();
  await using redis = await startRedis();
  const { asking, holding } = await twoNodes(redis.url);
  await using _a = asking;
  await using _h = holding;
  const members = [];
  for (let i = 0; i < 30; i++) {
    const client = connect(`${holding.ws}/app/${APP.key}?protocol=7`);
    const socketId = JSON.parse(JSON.parse((await client.next()) as string).data).socket_id;
    client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', ...authorizeChannel(APP, socketId, 'presence-room', { user_id: `user-${i}`, user_info: { about: 'x'.repeat(900) } }) } }));
    expect(JSON.parse((await client.next()) as string).event).toBe('pusher_internal:subscription_succeeded');
    members.push(client);
  }
  const path = `/apps/${APP.id}/channels/presence-room/users`;
  expect((await (await fetch(signedGet(asking.http, path))).json()).users).toHaveLength(30);
  // The member list (~28 KB) is over this pub/sub output buffer (and Redis's 16 KB static one): it drops the asking node's subscriber.
  Bun.spawnSync(['redis-cli', '-p', String(redis.port), 'CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 2048 1024 60']);
  const response = await fetch(signedGet(asking.http, path));
  expect([response.status, await response.json()]).toEqual([503, { error: "The cluster's answer is incomplete: some node did not answer in time" }]);
  expect(logs.lines).toContain('error redis connection lost (Connection closed); serving local clients only, retrying');
  for (const m of members) m.close();
}, 60_000);
