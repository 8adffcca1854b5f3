// Rule: maxPresenceMembers holds under concurrency: of many joins at once, on several workers, no more than the limit
// get in (each reserves its seat before asking the cluster who is in, and racing joins see each other's seats).
import { expect, test } from 'bun:test';
import { client, startCluster, subscribed, waitFor } from './fixtures';

test('20 simultaneous joins of a presence channel limited to 5, on 2 workers: at most 5 get in', async () => {
  await using c = await startCluster('2 workers', 'http://127.0.0.1:9/unused', ', maxPresenceMembers: 5');
  const clients = [];
  for (let i = 0; i < 20; i++) clients.push(await client(c.urls[0]!, c.sdk, `user${i}`));
  try {
    expect(new Set(clients.map((cl) => cl.node)).size).toBe(2); // the race crosses workers
    const channel = 'presence-five';
    const results = await Promise.allSettled(clients.map((cl) => subscribed(cl, channel)));
    const joined = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && String(r.reason).includes('LimitReached')).length;
    expect(joined + refused).toBe(20);
    expect(joined).toBeGreaterThanOrEqual(1);
    expect(joined).toBeLessThanOrEqual(5);
    const users = async () => (await (await c.sdk.get({ path: `/channels/${channel}/users` })).json()).users.length;
    await waitFor(async () => (await users()) === joined, 'the API lists the members that joined');
  } finally {
    for (const cl of clients) cl.pusher.disconnect();
  }
}, 60_000);

// A limit of 60 on 2 workers is room for leases (seats.ts): each node's joins take seats it asked for at once. Near the
// limit the joins ask seat by seat, and a node's unused leased seats are given back first, so none is kept from a join.
test('70 joins one after another of a channel limited to 60, on 2 workers: exactly the first 60 get in', async () => {
  await using c = await startCluster('2 workers', 'http://127.0.0.1:9/unused', ', maxPresenceMembers: 60');
  const clients = [];
  for (let i = 0; i < 70; i++) clients.push(await client(c.urls[0]!, c.sdk, `user${i}`));
  try {
    expect(new Set(clients.map((cl) => cl.node)).size).toBe(2);
    const channel = 'presence-sixty';
    const outcomes: string[] = [];
    for (const cl of clients) outcomes.push(await subscribed(cl, channel).then(() => 'in', (e) => (String(e).includes('LimitReached') ? 'full' : String(e))));
    expect(outcomes).toEqual([...Array(60).fill('in'), ...Array(10).fill('full')]);
    const users = async () => (await (await c.sdk.get({ path: `/channels/${channel}/users` })).json()).users.length;
    await waitFor(async () => (await users()) === 60, 'the API lists 60 members');
  } finally {
    for (const cl of clients) cl.pusher.disconnect();
  }
}, 60_000);
