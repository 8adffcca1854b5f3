// Rule: once a node lists a presence channel (its view is synced, views.ts), a join there asks the other nodes for
// counts and pending seats, never for their member lists: a channel of N members joins in O(N) work for the cluster,
// not O(N) per join per node. Every member still ends with the whole list, hearing of each member once.
// Two nodes on Redis (the compiled binary); a raw subscriber reads what crosses to each node.
import { describe, expect, test } from 'bun:test';
import { RedisClient } from 'bun';
import { redisMissing } from '../helpers/redis';
import { receiver, startCluster, waitFor } from './fixtures';
import { connect, join } from './presence-clients';

const CHANNEL = 'presence-views';
const MEMBERS = 40;

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
        join(m, CHANNEL, { name: m.user });
        await waitFor(() => m.joined, `${m.user} joined`);
      }
      await waitFor(() => members.every((m) => m.knows.size === MEMBERS), 'every member knowing every member');
      await Bun.sleep(200);
      expect(members.flatMap((m) => m.twice.map((e) => `${m.user}: ${e}`))).toEqual([]);
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
