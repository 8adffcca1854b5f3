// Rule: a cache channel subscribed on a node that started after the channel's last event still gets that event
// first (asked of the nodes that have it), not a cache miss; a cache channel with no event anywhere is a miss.
// "First" is per channel: right after that channel's subscription_succeeded, before anything else on it.
// Late nodes: a worker restarted after kill -9, and a Redis node started after the event.
import { describe, expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { type Client, type Cluster, client, receiver, startCluster, waitFor } from './fixtures';

/** A pusher-js client on the late node: with workers, connect until the kernel hands one to the new worker. */
async function onNode(c: Cluster, url: string, node: number): Promise<Client> {
  const spare: Client[] = [];
  try {
    for (let tries = 0; tries < 40; tries++) {
      const cl = await client(url, c.sdk, 'late');
      if (cl.node === node) return cl;
      spare.push(cl);
    }
    throw new Error(`no connection landed on node ${node}`);
  } finally {
    for (const s of spare) s.pusher.disconnect();
  }
}

for (const mode of ['2 workers', '2 nodes on redis'] as const) {
  describe.skipIf(mode === '2 nodes on redis' && redisMissing())(`cache channels, ${mode}`, () => {
    test('a node that starts after the last event replays it to its subscribers', async () => {
      const hooks = receiver();
      await using c = await startCluster(mode, hooks.url);
      let late: Client | undefined;
      try {
        expect((await c.sdk.trigger('cache-score', 'goal', { n: 1 })).status).toBe(200);
        expect((await c.sdk.trigger('cache-score', 'goal', { n: 2 })).status).toBe(200);
        if (mode === '2 workers') {
          await c.kill(2);
          await waitFor(() => /worker 1 is back/.test(c.output()), 'the worker restarted (node 3)', 15_000);
          late = await onNode(c, c.urls[0]!, 3);
        } else {
          const url = await c.addNode();
          late = await client(url, c.sdk, 'late');
        }
        // Both at once, as an app subscribes on page load. The promise is per channel: its replay (or miss) is the first
        // thing after its subscription_succeeded. Across channels nothing is ordered: the replay waits for an answer
        // from another node, while the other channel's subscription_succeeded goes out at once.
        const events: Record<string, string[]> = { 'cache-score': [], 'cache-empty': [] };
        for (const channel of Object.keys(events)) {
          late.pusher.subscribe(channel).bind_global((event: string, data: unknown) => events[channel]!.push(`${event} ${JSON.stringify(data)}`));
        }
        await waitFor(() => Object.values(events).every((list) => list.length >= 2), 'the replay and the miss');
        expect(events).toEqual({
          'cache-score': ['pusher:subscription_succeeded {}', 'goal {"n":2}'],
          'cache-empty': ['pusher:subscription_succeeded {}', 'pusher:cache_miss undefined'],
        });
        await waitFor(() => hooks.about('cache-empty').some((e) => e.name === 'cache_miss'), 'the cache_miss webhook');
        expect(hooks.about('cache-score').filter((e) => e.name === 'cache_miss')).toEqual([]);
      } finally {
        late?.pusher.disconnect();
        hooks.stop();
      }
    }, 60_000);
  });
}
