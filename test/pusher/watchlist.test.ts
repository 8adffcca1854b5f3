// Rule: a user who signs in with a watchlist hears, through pusher-js's user.watchlist, who of it is online right
// away, then 'online' when a watched user's first signed-in socket appears anywhere in the cluster and 'offline'
// when its last one goes — once each, whatever node the sockets are on. Longer than 100 ids is refused with 4302.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { type Client, type Cluster, client, receiver, signedIn, startCluster, waitFor, watcher } from './fixtures';

/** Long enough for a wrongly duplicated cross-node message to have arrived (the conformance suite's margin). */
const SETTLE = 300;

for (const mode of ['1 worker', '2 nodes on redis'] as const) {
  describe.skipIf(mode === '2 nodes on redis' && redisMissing())(`watchlist, ${mode}`, () => {
    const hooks = receiver();
    let c: Cluster;
    const clients: Client[] = [];
    const keep = (cl: Client) => (clients.push(cl), cl);
    /** The first node's URL, and the other node's (the same one with one process). */
    const here = () => c.urls[0]!;
    const there = () => c.urls.at(-1)!;
    beforeAll(async () => {
      c = await startCluster(mode, hooks.url);
    }, 30_000);
    afterAll(async () => {
      for (const cl of clients) cl.pusher.disconnect();
      await c?.[Symbol.asyncDispose]();
      hooks.stop();
    });

    test('the current state after sign-in, then online and offline once per cluster-wide change', async () => {
      const ann = keep(await watcher(here(), c, 'ann', ['bob', 'cat']));
      await waitFor(() => ann.seen.length === 1, 'the initial state');
      expect(ann.seen).toEqual(['offline bob,cat']);
      const bob1 = keep(await signedIn(await client(there(), c.sdk, 'bob')));
      await waitFor(() => ann.seen.length === 2, 'bob online');
      const bob2 = keep(await signedIn(await client(here(), c.sdk, 'bob'))); // a second socket: already online
      bob1.pusher.disconnect(); // one socket left: still online
      await Bun.sleep(SETTLE);
      expect(ann.seen).toEqual(['offline bob,cat', 'online bob']);
      bob2.pusher.disconnect();
      await waitFor(() => ann.seen.length === 3, 'bob offline');
      keep(await signedIn(await client(there(), c.sdk, 'cat')));
      await waitFor(() => ann.seen.length === 4, 'cat online');
      const dan = keep(await watcher(there(), c, 'dan', ['ann', 'cat', 'eve']));
      await waitFor(() => dan.seen.length === 2, "dan's initial state (two events in one frame)");
      await Bun.sleep(SETTLE);
      expect(ann.seen).toEqual(['offline bob,cat', 'online bob', 'offline bob', 'online cat']);
      expect(dan.seen).toEqual(['online ann,cat', 'offline eve']);
    }, 30_000);

    test('a watchlist of more than 100 ids is refused with 4302', async () => {
      const many = keep(await client(here(), c.sdk, 'many', {}, Array.from({ length: 101 }, (_, i) => `u${i}`)));
      const errors: number[] = [];
      many.pusher.connection.bind('error', (e: any) => errors.push(e?.data?.code));
      many.pusher.signin();
      await waitFor(() => errors.includes(4302), 'pusher:error 4302');
    }, 30_000);
  });
}
