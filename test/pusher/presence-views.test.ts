// Rule: once a node lists a presence channel (its view is synced, views.ts), a join there asks the other nodes for
// counts and pending seats, never for their member lists: a channel of N members joins in O(N) work for the cluster,
// not O(N) per join per node. Every member still ends with the whole list, hearing of each member once.
// Two nodes on Redis (the compiled binary); a raw subscriber reads what crosses to each node.
import { describe, expect, test } from 'bun:test';
import { RedisClient } from 'bun';
import { createHmac } from 'node:crypto';
import { redisMissing } from '../helpers/redis';
import { APP, receiver, startCluster, waitFor } from './fixtures';

const CHANNEL = 'presence-views';
const MEMBERS = 40;

type Member = { ws: WebSocket; user: string; socketId: string; joined: boolean; knows: Set<string>; errors: string[] };

async function connect(url: string, user: string): Promise<Member> {
  const ws = new WebSocket(`${url}/app/${APP.key}?protocol=7&client=js&version=8.6.0`);
  const m: Member = { ws, user, socketId: '', joined: false, knows: new Set(), errors: [] };
  const { promise, resolve, reject } = Promise.withResolvers<Member>();
  ws.onerror = () => reject(new Error(`${user} could not connect`));
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { event: string; data: string };
    const data = JSON.parse(msg.data) as Record<string, any>;
    if (msg.event === 'pusher:connection_established') {
      m.socketId = data.socket_id;
      return resolve(m);
    }
    if (msg.event === 'pusher_internal:subscription_succeeded') {
      m.joined = true;
      for (const id of data.presence.ids as string[]) m.knows.add(id);
    } else if (msg.event === 'pusher_internal:member_added') {
      if (m.knows.has(data.user_id)) m.errors.push(`${data.user_id} twice`);
      m.knows.add(data.user_id);
    } else {
      m.errors.push(`unexpected ${msg.event}`);
    }
  };
  return promise;
}

function join(m: Member): void {
  const channelData = JSON.stringify({ user_id: m.user, user_info: { name: m.user } });
  const auth = `${APP.key}:${createHmac('sha256', APP.secret).update(`${m.socketId}:${CHANNEL}:${channelData}`).digest('hex')}`;
  m.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: CHANNEL, auth, channel_data: channelData } }));
}

describe.skipIf(redisMissing())('presence joins read the synced view', () => {
  test('after each node lists the channel, no member list crosses the cluster for a join', async () => {
    const hooks = receiver();
    await using c = await startCluster('2 nodes on redis', hooks.url, ', maxPresenceMembers: 1000');
    const ids = [...c.output().matchAll(/redis adapter up: node (\d+),/g)].map((match) => Number(match[1]));
    expect(ids).toHaveLength(2);
    const raw = new RedisClient(c.redis!.url);
    const crossed: string[] = [];
    for (const id of ids) await raw.subscribe(`pusher:node:${id}`, (text) => void crossed.push(text));
    const members = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => connect(c.urls[i % 2]!, `u${i}`)));
    try {
      // One at a time, so each join's answers are its own.
      for (const [i, m] of members.entries()) {
        if (i === 2) crossed.length = 0; // from here on each node has listed the channel once
        join(m);
        await waitFor(() => m.joined, `${m.user} joined`);
      }
      await waitFor(() => members.every((m) => m.knows.size === MEMBERS), 'every member knowing every member');
      await Bun.sleep(200);
      expect(members.flatMap((m) => m.errors.map((e) => `${m.user}: ${e}`))).toEqual([]);
      // What the nodes answered each other for 38 joins: counts and seats, and not one member list.
      const answers = crossed.flatMap((text) => [JSON.parse(text)].flat()).filter((msg) => msg.t === 'answer');
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.filter((msg) => Array.isArray(msg.a?.members)).map((msg) => `${msg.from}: ${msg.a.members.length} members`)).toEqual([]);
    } finally {
      raw.close();
      for (const m of members) m.ws.close();
      hooks.stop();
    }
  }, 60_000);
});
