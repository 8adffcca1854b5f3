// Rule: what changed during a Redis outage is owed once the link is back, exactly once. Watchers hear who of theirs
// went online or offline meanwhile; a user who joined a presence channel on two nodes while they could not reach each
// other is one member_added to the backend (and a channel first occupied on two nodes one channel_occupied).
import { expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { adapters, client, type Cluster, hookNames, receiver, signedIn, spread, startCluster, subscribed, waitFor, watcher } from './fixtures';

/** Long enough for a wrongly duplicated or late event to have arrived (a resync runs every second). */
const SETTLE = 2500;

async function outage(c: Cluster, during: () => Promise<void>): Promise<void> {
  await c.redis!.kill();
  await waitFor(async () => (await adapters(c)).every((a) => a.state === 'down'), 'both nodes see the outage');
  await during();
  await c.redis!.restart();
  await waitFor(async () => (await adapters(c)).every((a) => a.state === 'up' && a.peers === 1), 'both nodes back and peers again', 15_000);
}

test.skipIf(redisMissing())('a watcher hears, once, who of its watchlist went online or offline during an outage', async () => {
  const hooks = receiver();
  await using c = await startCluster('2 nodes on redis', hooks.url);
  const ann = await watcher(c.urls[0]!, c, 'ann', ['bob', 'cat']);
  const there = async (user: string) => signedIn(await client(c.urls[1]!, c.sdk, user)); // the other node
  const others = [await there('cat')];
  try {
    await waitFor(() => ann.seen.length === 2, 'the initial state, then cat online');
    await outage(c, async () => {
      others.push(await there('bob'));
      others[0]!.pusher.disconnect(); // cat goes offline
      await Bun.sleep(3000); // her node's leave round waits out the ask timeout, and announces into the outage
    });
    await waitFor(() => ann.seen.length === 4, 'ann hears bob online and cat offline', 10_000);
    await Bun.sleep(SETTLE);
    expect(ann.seen).toEqual(['offline bob,cat', 'online cat', 'online bob', 'offline cat']);
  } finally {
    for (const cl of [ann, ...others]) cl.pusher.disconnect();
    hooks.stop();
  }
}, 60_000);

// Dave joins on both nodes: both during the outage (each node's join rounds wait out the ask timeout and see only
// themselves), or on one before it — then the backend already has him and his channel, and is owed nothing.
for (const before of [false, true]) {
  const name = before ? 'a member already announced who joins on the other node during an outage: no webhook' : 'a user joining a new presence channel on both nodes during an outage: one channel_occupied, one member_added';
  test.skipIf(redisMissing())(name, async () => {
    const hooks = receiver();
    await using c = await startCluster('2 nodes on redis', hooks.url);
    const [daveHere, daveThere] = await spread(c, ['dave', 'dave']);
    const channel = `presence-dave-${before}`;
    try {
      if (before) await subscribed(daveHere!, channel);
      await waitFor(() => hooks.about(channel).length === (before ? 2 : 0), 'channel_occupied and member_added');
      await outage(c, async () => {
        await Promise.all([before || subscribed(daveHere!, channel), subscribed(daveThere!, channel)]);
        await Bun.sleep(3000);
      });
      await Bun.sleep(SETTLE);
      expect(hookNames(hooks, channel).sort()).toEqual(['channel_occupied', 'member_added dave']);
    } finally {
      for (const cl of [daveHere!, daveThere!]) cl.pusher.disconnect();
      hooks.stop();
    }
  }, 60_000);
}
