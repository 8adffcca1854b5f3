// Rule: a node that leaves the cluster while a listing's question is out owes no answer. The listing is complete
// without it (its members depart through departures.ts) — a 200, not a 503; only a node still alive that did not
// answer in time makes it incomplete (test/abuse/cluster-answers.test.ts).
import { expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { receiver, spread, startCluster, subscribed, waitFor } from './fixtures';

test.skipIf(redisMissing())('a node going silent while a listing asks: 200 without it, not 503', async () => {
  const hooks = receiver();
  // Questions wait up to 8 s, so the paused node is judged gone (3.5 s of silence) while they are still out.
  await using c = await startCluster('2 nodes on redis', hooks.url, '', 'requestTimeout: 8000');
  const [bob, alice] = await spread(c, ['bob', 'alice']);
  try {
    // spread() puts bob on the first node, the one c.sdk asks.
    await subscribed(bob!, 'presence-room');
    await subscribed(alice!, 'presence-room');
    await subscribed(alice!, 'news-there');
    await subscribed(bob!, 'news-here');
    const get = (path: string) => c.sdk.get({ path }).then(async (r) => [r.status, await r.json()], (e) => [e.status, e.body]);
    const paused = c.procOf(alice!.node);
    paused.kill('SIGSTOP');
    try {
      const [channels, users] = await Promise.all([get('/channels'), get('/channels/presence-room/users')]);
      expect(channels).toEqual([200, { channels: { 'presence-room': {}, 'news-here': {} } }]);
      expect(users).toEqual([200, { users: [{ id: 'bob' }] }]);
      await waitFor(() => bob!.seen.includes('presence-room pusher:member_removed {"id":"alice","info":{"name":"alice"}}'), 'alice departs for bob');
    } finally {
      paused.kill('SIGCONT');
    }
  } finally {
    for (const cl of [bob!, alice!]) cl.pusher.disconnect();
    hooks.stop();
  }
}, 60_000);
