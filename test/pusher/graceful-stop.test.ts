// Rule: a graceful stop (SIGTERM, as `ody websocket stop` sends) settles the departures it holds back instead of
// dropping them: the members and channels of the sockets it closes get their member_removed and channel_vacated
// webhooks, once each, before the process exits.
import { expect, test } from 'bun:test';
import { receiver, spread, startCluster, subscribed, waitFor } from './fixtures';

for (const mode of ['1 worker', '2 workers'] as const) {
  test(`SIGTERM, ${mode}: the held-back departures are sent before exit`, async () => {
    const hooks = receiver();
    try {
      const c = await startCluster(mode, hooks.url);
      const clients = await spread(c, mode === '1 worker' ? ['alice'] : ['alice', 'bob']);
      const channel = 'presence-stop';
      for (const cl of clients) await subscribed(cl, channel);
      await waitFor(() => hooks.about(channel).length === clients.length + 1, 'arrival webhooks');
      await c[Symbol.asyncDispose](); // SIGTERM to the primary, waits for exit
      for (const cl of clients) cl.pusher.disconnect();
      const names = hooks.about(channel).map((e) => `${e.name}${e.user_id ? ` ${e.user_id}` : ''}`);
      const users = clients.map((_, i) => (i === 0 ? 'alice' : 'bob'));
      expect(names.slice(clients.length + 1).sort()).toEqual(['channel_vacated', ...users.map((u) => `member_removed ${u}`)]);
    } finally {
      hooks.stop();
    }
  }, 30_000);
}
