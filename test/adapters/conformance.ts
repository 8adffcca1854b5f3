// One suite, every adapter: what a cluster must do whatever joins its nodes (memory: one node; ipc: three workers;
// redis: three processes). Each case builds a fresh cluster from the fixture and asks only through user-level code.
import { expect, test } from 'bun:test';
import { until } from '../helpers/server';
import { type Fixture, type Member, reply } from './fixtures';

const API = { headers: { 'x-api-key': '123123123' } };

/** Two members on different nodes when the cluster has several; else two on the one node. */
function apart(members: Member[]): [Member, Member] {
  const a = members[0]!;
  return [a, members.find((m) => m.who.node !== a.who.node) ?? members[1]!];
}

async function ask(m: Member, topic = '-', fd = 0): Promise<Record<string, any>> {
  m.client.send(`ask ${topic} ${fd}`);
  return reply(m.client, 'ask');
}

/** Messages other than command replies a client got, in order. */
const relayed = (m: Member) => m.client.messages.filter((x) => !String(x).startsWith('{'));

/** `oneNode`: the cases about other nodes dying or joining do not apply (memory). */
export function conformance(make: () => Promise<Fixture>, options: { skip?: boolean; oneNode?: boolean } = {}): void {
  const it = options.skip ? test.skip : test;

  it('broadcast reaches every client on every node exactly once, never the sender', async () => {
    await using f = await make();
    const members = await f.spread(2);
    const [sender] = members;
    sender!.client.send('bcast hello everyone');
    for (const m of members.slice(1)) await until(() => relayed(m).length > 0, `broadcast on node ${m.who.node}`, 5000);
    await Bun.sleep(100); // a duplicate would arrive by now
    for (const m of members) expect(relayed(m)).toEqual(m === sender ? [] : ['hello everyone']);
  }, 30_000);

  it('publish reaches the subscribers on every node exactly once, and nobody else', async () => {
    await using f = await make();
    const members = await f.spread(2);
    const byNode = new Map<number, Member>();
    for (const m of members) if (!byNode.has(m.who.node)) byNode.set(m.who.node, m);
    const subscribers = [...byNode.values()];
    // Subscribe each from another node than its own where possible: subscribe(fd) works for any fd.
    for (const [i, m] of subscribers.entries()) {
      const via = subscribers[(i + 1) % subscribers.length]!;
      via.client.send(`sub ${m.who.fd} news`);
      expect((await reply(via.client, 'sub')).ok).toBe(true);
    }
    await until(async () => (await ask(members[0]!, 'news')).subscribers === subscribers.length, 'subscriptions counted', 5000);
    members.at(-1)!.client.send('pub news extra');
    for (const m of subscribers) await until(() => relayed(m).length > 0, `publish on node ${m.who.node}`, 5000);
    await Bun.sleep(100);
    for (const m of members) expect(relayed(m)).toEqual(subscribers.includes(m) ? ['extra'] : []);
  }, 30_000);

  it('push reaches an fd on another node; an fd of no live node is false', async () => {
    await using f = await make();
    const [a, b] = apart(await f.spread(1));
    a.client.send(`push ${b.who.fd} across`);
    expect((await reply(a.client, 'push')).ok).toBe(true);
    await until(() => relayed(b).length > 0, 'pushed message');
    expect(relayed(b)).toEqual(['across']);
    a.client.send(`push ${7 * 2 ** 20 + 999_999} nowhere`); // node 999999 does not exist
    expect((await reply(a.client, 'push')).ok).toBe(false);
  }, 30_000);

  it('disconnect closes an fd on another node with the code and reason given', async () => {
    await using f = await make();
    const [a, b] = apart(await f.spread(1));
    a.client.send(`kick ${b.who.fd} bye now`);
    expect((await reply(a.client, 'kick')).ok).toBe(true);
    expect(await b.client.closed).toEqual({ code: 4000, reason: 'bye now' });
  }, 30_000);

  it('cluster questions are answered by every node: count, connections, topics, client info, exist, and /_ody', async () => {
    await using f = await make();
    const members = await f.spread(1);
    const [a, b] = apart(members);
    a.client.send(`sub ${b.who.fd} room`);
    await reply(a.client, 'sub');
    const fds = members.map((m) => m.who.fd).sort((x, y) => x - y);
    expect(new Set(fds).size).toBe(fds.length); // fds are unique across nodes
    await until(async () => (await ask(a, 'room', b.who.fd)).subscribers === 1, 'subscription seen');
    const answer = await ask(a, 'room', b.who.fd);
    expect(answer).toMatchObject({ count: members.length, connections: fds, subscribers: 1, topics: [{ topic: 'room', subscribers: 1 }], established: true, exist: true, nodes: f.nodes });
    expect(answer.info).toMatchObject({ fd: b.who.fd, node: b.who.node });
    const api = async (path: string) => (await fetch(`${f.http}/_ody/${path}`, API)).json() as Promise<Record<string, any>>;
    expect((await api('connections')).connections.map((c: { fd: number }) => c.fd).sort((x: number, y: number) => x - y)).toEqual(fds);
    expect((await api('topics')).topics).toEqual([{ topic: 'room', subscribers: 1 }]);
    expect(await api('stats')).toMatchObject({ connections: members.length, nodes: f.nodes });
    const pushed = await fetch(`${f.http}/_ody/push`, { ...API, method: 'POST', body: JSON.stringify({ fd: b.who.fd, data: 'via api' }) });
    expect(await pushed.json()).toEqual({ delivered: 1 });
    await until(() => relayed(b).includes('via api'), 'API push');
    const published = await fetch(`${f.http}/_ody/broadcast`, { ...API, method: 'POST', body: JSON.stringify({ data: 'all of you' }) });
    expect(await published.json()).toEqual({ delivered: members.length });
  }, 30_000);

  it('client data crosses nodes: a BigInt passes; a cycle is refused with a log line and every node keeps serving', async () => {
    await using f = await make();
    const asker = (await f.spread(1))[0]!;
    const elsewhere = (m: Member) => f.nodes === 1 || m.who.node !== asker.who.node;
    const big = (await f.spread(1, '?big')).find(elsewhere)!;
    const cyclic = (await f.spread(1, '?cycle')).find(elsewhere)!;
    expect((await ask(asker, '-', big.who.fd)).info).toEqual({ fd: big.who.fd, node: big.who.node, data: { id: 'bigint:12345678901234567890' } });
    if (f.nodes > 1) {
      expect((await ask(asker, '-', cyclic.who.fd)).info).toEqual({ fd: cyclic.who.fd, node: cyclic.who.node, data: {} });
      await until(() => /cannot be sent/.test(f.output()), 'a log line naming the refusal');
    }
    for (const m of [asker, big, cyclic]) {
      m.client.send('whoami');
      expect((await reply(m.client, 'whoami')).fd).toBe(m.who.fd); // every node still serves
    }
  }, 30_000);

  const multi = (name: string, body: (f: Fixture) => Promise<void>) => {
    if (options.oneNode) console.log(`skipping '${name}': it is about several nodes, and this adapter has one`);
    (options.oneNode ? test.skip : it)(name, async () => {
      await using f = await make();
      await body(f);
    }, 45_000);
  };

  multi('a node killed with -9: its clients see 1006, the others notice nothing, and it leaves every answer in time', async (f) => {
    const members = await f.spread(1);
    const victim = members[0]!;
    const survivors = members.filter((m) => m.who.node !== victim.who.node);
    process.kill(victim.who.pid, 'SIGKILL');
    expect((await victim.client.closed).code).toBe(1006);
    for (const m of members.filter((x) => x.who.node === victim.who.node)) expect((await m.client.closed).code).toBe(1006);
    // Dropped from answers within the node timeout (3.5 s) plus a heartbeat.
    await until(async () => (await ask(survivors[0]!)).count === survivors.length, 'the dead node left the answers', 8000);
    survivors[0]!.client.send('bcast still here');
    for (const m of survivors.slice(1)) await until(() => relayed(m).includes('still here'), 'broadcast among survivors', 5000);
    for (const m of survivors) m.client.send('whoami');
    for (const m of survivors) expect((await reply(m.client, 'whoami')).fd).toBe(m.who.fd);
  });

  multi('a node that starts late sees everyone, and everyone reaches it', async (f) => {
    const members = await f.spread(1);
    const known = new Set(members.map((m) => m.who.pid));
    if (f.name === 'ipc') process.kill(members[0]!.who.pid, 'SIGKILL'); // a restarted worker is ipc's late node
    const late = await f.late(known);
    const others = members.filter((m) => m.who.pid !== members[0]!.who.pid || f.name !== 'ipc');
    await until(async () => (await ask(late)).count === others.length + 1, 'the late node counts everyone', 8000);
    late.client.send(`push ${others[0]!.who.fd} from the newcomer`);
    await until(() => relayed(others[0]!).includes('from the newcomer'), 'push from the late node');
    others[0]!.client.send(`push ${late.who.fd} welcome`);
    await until(() => relayed(late).includes('welcome'), 'push to the late node');
  });
}
