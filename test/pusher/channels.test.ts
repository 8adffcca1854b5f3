// Rule: presence, client events, the HTTP API and webhooks behave the same with 1 worker, 2 workers and 2 nodes on
// Redis: each member or occupancy change is announced once, to the others, and every node answers alike.
// Clients are the real pusher-js and pusher SDK; the server is the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash, createHmac } from 'node:crypto';
import { redisMissing } from '../helpers/redis';
import { APP, type Client, type Cluster, MODES, receiver, spread, startCluster, subscribed, waitFor } from './fixtures';

const ids = (members: any) => Object.keys(members.members).sort();
const sleep = (ms: number) => Bun.sleep(ms);
/** Long enough for a wrongly duplicated cross-node message to have arrived (the conformance suite's margin). */
const SETTLE = 300;

function signedUrl(base: string, method: string, path: string, body: string, query: Record<string, string> = {}, secret = APP.secret): string {
  const params: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', ...query };
  if (body) params.body_md5 = createHash('md5').update(body).digest('hex');
  const sorted = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const signature = createHmac('sha256', secret).update(`${method}\n${path}\n${sorted}`).digest('hex');
  return `${base}${path}?${new URLSearchParams({ ...params, auth_signature: signature })}`;
}

for (const mode of MODES) {
  const skip = mode === '2 nodes on redis' && redisMissing();
  describe.skipIf(skip)(`channels, ${mode}`, () => {
    const hooks = receiver();
    let c: Cluster;
    const clients: Client[] = [];
    const slug = mode.replace(/\W+/g, '-');
    const http = () => c.urls[0]!.replace('ws://', 'http://');
    beforeAll(async () => {
      c = await startCluster(mode, hooks.url);
    }, 30_000);
    afterAll(async () => {
      if (process.env.ODY_DEBUG) console.log(c?.output());
      for (const cl of clients) cl.pusher.disconnect();
      await c?.[Symbol.asyncDispose]();
      hooks.stop();
    });
    const track = (list: Client[]) => (clients.push(...list), list);

    test('presence: a user on two nodes is one member; added and removed reach the others once, on first join and last leave', async () => {
      const channel = `presence-room-${slug}`;
      const [bob, alice1, alice2] = track(await spread(c, ['bob', 'alice', 'alice']));
      expect(ids(await subscribed(bob!, channel))).toEqual(['bob']);
      expect(ids(await subscribed(alice1!, channel))).toEqual(['alice', 'bob']);
      await waitFor(() => bob!.seen.length === 1, 'member_added');
      expect(ids(await subscribed(alice2!, channel))).toEqual(['alice', 'bob']);
      const users = await (await c.sdk.get({ path: `/channels/${channel}/users` })).json();
      expect(users).toEqual({ users: expect.arrayContaining([{ id: 'alice' }, { id: 'bob' }]) });
      expect(users.users).toHaveLength(2);
      alice1!.pusher.unsubscribe(channel);
      alice2!.pusher.unsubscribe(channel);
      await waitFor(() => bob!.seen.length === 2, 'member_removed');
      await sleep(SETTLE);
      expect(bob!.seen).toEqual([`${channel} pusher:member_added {"id":"alice","info":{"name":"alice"}}`, `${channel} pusher:member_removed {"id":"alice","info":{"name":"alice"}}`]);
      expect(alice1!.seen).toEqual([]); // never told about itself
    }, 30_000);

    test('client events reach the other subscribers on every node, never the sender; presence ones carry user_id', async () => {
      const [a, b] = track(await spread(c, ['ann', 'ben']));
      for (const channel of [`private-chat-${slug}`, `presence-chat-${slug}`]) {
        await subscribed(a!, channel);
        await subscribed(b!, channel);
        const got: unknown[] = [];
        b!.pusher.channel(channel).bind('client-typing', (data: unknown, meta: unknown) => got.push([data, meta]));
        expect(a!.pusher.channel(channel).trigger('client-typing', { text: 'hi' })).toBe(true);
        await waitFor(() => got.length === 1, 'client event');
        expect(got[0]).toEqual([{ text: 'hi' }, channel.startsWith('presence-') ? { user_id: 'ann' } : {}]);
      }
      await sleep(SETTLE);
      expect(a!.seen.filter((s) => s.includes('client-typing'))).toEqual([]);
    }, 30_000);

    test('client events over 10 per second get pusher:error 4301 and are dropped; the connection stays', async () => {
      const [a, b] = track(await spread(c, ['fast', 'slow']));
      const channel = `private-flood-${slug}`;
      await subscribed(a!, channel);
      await subscribed(b!, channel);
      const errors: number[] = [];
      a!.pusher.connection.bind('error', (e: any) => errors.push(e?.data?.code));
      for (let i = 0; i < 20; i++) a!.pusher.channel(channel).trigger('client-burst', { i });
      await waitFor(() => errors.includes(4301), 'pusher:error 4301');
      const c2 = await c.sdk.trigger(channel, 'after', {});
      expect(c2.status).toBe(200);
      await waitFor(() => a!.seen.some((s) => s.includes(' after ')), 'the sender still connected');
      const burst = b!.seen.filter((s) => s.includes('client-burst')).length;
      expect(burst).toBeGreaterThanOrEqual(10);
      expect(burst).toBeLessThan(20);
      expect(a!.pusher.connection.state).toBe('connected');
    }, 30_000);

    test('HTTP API: trigger reaches every node, socket_id excludes one connection, channels and users answer cluster-wide', async () => {
      const [a, b] = track(await spread(c, ['x', 'y']));
      const channel = `news-${slug}`;
      await subscribed(a!, channel);
      await subscribed(b!, channel);
      expect(await (await c.sdk.trigger(channel, 'one', { n: 1 })).json()).toEqual({});
      await c.sdk.trigger(channel, 'two', { n: 2 }, { socket_id: a!.socketId });
      await c.sdk.trigger(channel, 'three', { n: 3 });
      await waitFor(() => a!.seen.length === 2 && b!.seen.length === 3, 'API events');
      expect(a!.seen).toEqual([`${channel} one {"n":1}`, `${channel} three {"n":3}`]);
      expect(b!.seen).toEqual([`${channel} one {"n":1}`, `${channel} two {"n":2}`, `${channel} three {"n":3}`]);
      const batch = await c.sdk.triggerBatch([{ channel, name: 'b1', data: '1' }, { channel, name: 'b2', data: '2' }]);
      expect(batch.status).toBe(200);
      await waitFor(() => b!.seen.length === 5, 'batch');
      const info = await (await c.sdk.get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } })).json();
      expect(info).toEqual({ occupied: true, subscription_count: 2 });
      const list = await (await c.sdk.get({ path: '/channels', params: { filter_by_prefix: `news-${slug}` } })).json();
      expect(list).toEqual({ channels: { [channel]: {} } });
      const presence = `presence-api-${slug}`;
      await subscribed(a!, presence);
      await subscribed(b!, presence);
      const counted = await (await c.sdk.get({ path: '/channels', params: { filter_by_prefix: presence, info: 'user_count' } })).json();
      expect(counted).toEqual({ channels: { [presence]: { user_count: 2 } } });
    }, 30_000);

    test('HTTP API refuses bad requests with a JSON reason: wrong signature, replayed timestamp, unknown app, bad body, too large', async () => {
      const body = JSON.stringify({ name: 'e', channel: 'c', data: 'd' });
      const post = (url: string, b = body) => fetch(url, { method: 'POST', body: b, headers: { 'content-type': 'application/json' } });
      expect((await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, body))).status).toBe(200);
      const wrong = await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, body, {}, 'not-the-secret'));
      expect([wrong.status, (await wrong.json()).error]).toEqual([401, 'Invalid signature: check the app secret and that the request was not changed']);
      const old = await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, body, { auth_timestamp: String(Math.floor(Date.now() / 1000) - 3600) }));
      expect([old.status, (await old.json()).error]).toEqual([401, "auth_timestamp is more than 600 s away from the server's clock"]);
      const tampered = await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, body), body.replace('"d"', '"e"'));
      expect(tampered.status).toBe(401);
      expect((await post(signedUrl(http(), 'POST', '/apps/nope/events', body))).status).toBe(404);
      const bad = await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, '{"name":'), '{"name":');
      expect([bad.status, (await bad.json()).error]).toEqual([400, 'Body must be a JSON object']);
      const big = JSON.stringify({ name: 'e', channel: 'c', data: 'x'.repeat(20_000) });
      expect((await post(signedUrl(http(), 'POST', `/apps/${APP.id}/events`, big), big)).status).toBe(413);
      const notPresence = await fetch(signedUrl(http(), 'GET', `/apps/${APP.id}/channels/public/users`, ''));
      expect(notPresence.status).toBe(400);
      // The PHP SDK percent-encodes query values before signing; ody compares them decoded.
      const php = signedUrl(http(), 'GET', `/apps/${APP.id}/channels`, '', { filter_by_prefix: 'presence-', info: 'user_count' }).replace('info=user_count', 'info=user%5Fcount');
      expect((await fetch(php)).status).toBe(200);
    }, 30_000);

    test('terminate_connections closes a signed-in user\'s sockets on every node; #server-to-user reaches them', async () => {
      const [u1, u2, other] = track(await spread(c, ['dora', 'dora', 'eve']));
      for (const cl of [u1!, u2!]) {
        cl.pusher.signin();
        await cl.pusher.user.signinDonePromise;
        expect(cl.pusher.user.user_data).toEqual({ id: 'dora' });
      }
      const got: unknown[][] = [[], []];
      [u1!, u2!].forEach((cl, i) => cl.pusher.user.bind('note', (d: unknown) => got[i]!.push(d)));
      // The #server-to-user channel is subscribed just after sign-in: send until both sockets have it.
      await waitFor(async () => {
        await c.sdk.sendToUser('dora', 'note', { hi: 1 });
        await sleep(50);
        return got.every((g) => g.length > 0);
      }, 'sendToUser to both sockets');
      expect(got.flat()[0]).toEqual({ hi: 1 });
      await c.sdk.terminateUserConnections('dora');
      await waitFor(() => u1!.pusher.connection.state !== 'connected' && u2!.pusher.connection.state !== 'connected', 'both sockets closed');
      expect(other!.pusher.connection.state).toBe('connected');
    }, 30_000);

    test('webhooks: occupied and member_added once per cluster-wide change, vacated and member_removed once after the delay, signed for the SDK', async () => {
      const channel = `presence-hooks-${slug}`;
      const [h1, h2] = track(await spread(c, ['hank', 'hank']));
      await subscribed(h1!, channel);
      await subscribed(h2!, channel);
      await waitFor(() => hooks.about(channel).length === 2, 'occupied and member_added');
      h1!.pusher.unsubscribe(channel);
      h2!.pusher.unsubscribe(channel);
      await waitFor(() => hooks.about(channel).length === 4, 'vacated and member_removed', 15_000);
      await sleep(SETTLE);
      const names = hooks.about(channel).map((e) => `${e.name}${e.user_id ? ` ${e.user_id}` : ''}`);
      expect(names.slice(0, 2).sort()).toEqual(['channel_occupied', 'member_added hank']);
      expect(names.slice(2).sort()).toEqual(['channel_vacated', 'member_removed hank']);
      for (const hook of hooks.hooks) {
        expect(hook.headers['x-pusher-key']).toBe(APP.key);
        expect(c.sdk.webhook({ headers: hook.headers, rawBody: hook.body }).isValid()).toBe(true);
      }
    }, 40_000);

    test('webhooks: a member who comes back within the delay produces no removed/added; a failing receiver is retried', async () => {
      const channel = `presence-back-${slug}`;
      const [k1] = track(await spread(c, ['kim']));
      await subscribed(k1!, channel);
      await waitFor(() => hooks.about(channel).length === 2, 'occupied and member_added');
      k1!.pusher.unsubscribe(channel);
      const [k2] = track(await spread(c, ['kim']));
      await subscribed(k2!, channel);
      hooks.fail(1);
      k2!.pusher.unsubscribe(channel);
      await waitFor(() => hooks.about(channel).length === 4, 'vacated and member_removed, after one retry', 20_000);
      const names = hooks.about(channel).map((e) => e.name);
      expect(names.slice(2).sort()).toEqual(['channel_vacated', 'member_removed']);
    }, 40_000);
  });
}
