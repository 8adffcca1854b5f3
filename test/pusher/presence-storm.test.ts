// Rule: members that join one presence channel at the same moment on different nodes each learn of every other member
// exactly once: in their own subscription_succeeded list or by one member_added, never both, and none is left out;
// and a member that leaves while others join is, for each joiner, either in its list and then removed once, or in
// neither. (pusher-js fires pusher:member_added, Echo's `joining`, for every member_added it gets, even for a listed
// member.)
// Clients are plain WebSockets speaking the protocol, so many can join at once; the server is the compiled binary.
import { describe, expect, test } from 'bun:test';
import { redisMissing } from '../helpers/redis';
import { receiver, startCluster, waitFor } from './fixtures';
import { connect, join as joinAs, type Member } from './presence-clients';

const MEMBERS = 80;
const CHANNEL = 'presence-storm';
const join = (m: Member) => joinAs(m, CHANNEL);

for (const mode of ['2 nodes on redis', '2 workers'] as const) {
  describe.skipIf(mode === '2 nodes on redis' && redisMissing())(`presence join storm, ${mode}`, () => {
    test('every member hears of every other once, in its list or by member_added', async () => {
      const hooks = receiver();
      await using c = await startCluster(mode, hooks.url, ', maxPresenceMembers: 1000');
      const members = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => connect(c.urls[i % c.urls.length]!, `u${i}`)));
      try {
        for (const m of members) join(m);
        await waitFor(() => members.every((m) => m.joined && m.knows.size === MEMBERS), 'every member knowing every member', 15_000);
        await Bun.sleep(300); // a late duplicate would arrive within this
        expect(members.flatMap((m) => m.twice.map((id) => `${m.user} heard of ${id} twice`))).toEqual([]);
        expect(members.filter((m) => m.knows.size !== MEMBERS).map((m) => m.user)).toEqual([]);
      } finally {
        for (const m of members) m.ws.close();
        hooks.stop();
      }
    }, 60_000);

    test('members leaving while others join are removed only for those that listed them', async () => {
      const hooks = receiver();
      await using c = await startCluster(mode, hooks.url, ', maxPresenceMembers: 1000');
      const all = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => connect(c.urls[i % c.urls.length]!, `u${i}`)));
      const [stay, go, late] = [all.slice(0, MEMBERS / 4), all.slice(MEMBERS / 4, MEMBERS / 2), all.slice(MEMBERS / 2)];
      try {
        for (const m of [...stay, ...go]) join(m);
        await waitFor(() => [...stay, ...go].every((m) => m.joined && m.knows.size === MEMBERS / 2), 'the first half joined', 15_000);
        for (let i = 0; i < go.length; i++) {
          go[i]!.ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: CHANNEL } }));
          join(late[2 * i]!);
          join(late[2 * i + 1]!);
        }
        const left = MEMBERS - go.length;
        await waitFor(() => [...stay, ...late].every((m) => m.joined && m.knows.size === left), 'everyone but the leavers known to all', 15_000);
        await Bun.sleep(300);
        expect([...stay, ...late].flatMap((m) => m.twice.map((what) => `${m.user}: ${what}`))).toEqual([]);
      } finally {
        for (const m of all) m.ws.close();
        hooks.stop();
      }
    }, 60_000);
  });
}
