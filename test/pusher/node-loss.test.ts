// Rule: a node that dies without a word (a worker killed -9, a Redis node killed -9) takes its presence members with
// it cluster-wide: the remaining subscribers get member_removed once, and the webhooks follow — member_removed once,
// channel_vacated once for a channel nobody is left in, nothing more for a channel still held elsewhere; and its
// signed-in users go offline once for those who watch them.
// Clients are the real pusher-js; the server is the compiled binary.
import { describe, expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { receiver, spread, startCluster, subscribed, waitFor } from './fixtures';

/** Long enough for a wrongly duplicated cross-node message to have arrived (the conformance suite's margin). */
const SETTLE = 300;

for (const mode of ['2 workers', '2 nodes on redis'] as const) {
  describe.skipIf(mode === '2 nodes on redis' && redisMissing())(`a node dies, ${mode}`, () => {
    test('its members are removed once for the others, and its channels\' webhooks follow', async () => {
      const hooks = receiver();
      await using c = await startCluster(mode, hooks.url);
      const [bob, alice] = await spread(c, ['bob', 'alice'], { bob: ['alice'] });
      try {
        const shared = 'presence-shared';
        const alone = 'presence-alone';
        await subscribed(bob!, shared);
        await subscribed(alice!, shared);
        await subscribed(alice!, alone);
        await waitFor(() => bob!.seen.length === 1, 'member_added alice');
        const watched: string[] = [];
        for (const name of ['online', 'offline']) bob!.pusher.user.watchlist.bind(name, (e: { user_ids: string[] }) => watched.push(`${name} ${e.user_ids}`));
        for (const cl of [bob!, alice!]) {
          cl.pusher.signin();
          await cl.pusher.user.signinDonePromise;
        }
        await waitFor(() => watched.includes('online alice'), 'alice online');
        await waitFor(() => hooks.about(shared).length === 3 && hooks.about(alone).length === 2, 'arrival webhooks');
        // pusher-js would reconnect alice to a live node as a new member: keep her away to see the departure alone.
        // It announces 'connecting_in' when it schedules the retry (a second later); cancel that retry right after.
        alice!.pusher.connection.bind('connecting_in', () => setTimeout(() => alice!.pusher.disconnect(), 0));
        await c.kill(alice!.node);
        await waitFor(() => bob!.seen.length === 2, 'member_removed', 15_000);
        await waitFor(() => hooks.about(shared).length === 4 && hooks.about(alone).length === 4, 'departure webhooks', 20_000);
        await waitFor(() => watched.length === 3, 'alice offline');
        await Bun.sleep(SETTLE);
        expect(watched.slice(1)).toEqual(['online alice', 'offline alice']); // after the state at sign-in (one way or the other)
        expect(bob!.seen).toEqual([`${shared} pusher:member_added {"id":"alice","info":{"name":"alice"}}`, `${shared} pusher:member_removed {"id":"alice","info":{"name":"alice"}}`]);
        expect((bob!.pusher.channel(shared) as unknown as { members: { count: number } }).members.count).toBe(1);
        const names = (channel: string) => hooks.about(channel).map((e) => `${e.name}${e.user_id ? ` ${e.user_id}` : ''}`);
        expect(names(shared).slice(0, 3).sort()).toEqual(['channel_occupied', 'member_added alice', 'member_added bob']);
        expect(names(shared).slice(3)).toEqual(['member_removed alice']);
        expect(names(alone).slice(2).sort()).toEqual(['channel_vacated', 'member_removed alice']);
        expect((await (await c.sdk.get({ path: `/channels/${shared}/users` })).json()).users).toEqual([{ id: 'bob' }]);
      } finally {
        for (const cl of [bob!, alice!]) cl.pusher.disconnect();
        hooks.stop();
      }
    }, 60_000);
  });
}
