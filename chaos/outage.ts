// Chaos, Redis outage: two ody nodes on one Redis under presence traffic (pusher-js clients joining and leaving
// presence channels), Redis killed for 10 s, a third node started during the outage (it must refuse, with one line)
// and again as soon as Redis is back (before the others have reconnected). Afterwards every client's member list must
// equal the HTTP API's, no client may have heard an arrival it knew or a departure of someone it did not list, and
// each member's webhooks must alternate added/removed and end in the state the API shows. Loopback only, bounded.
import Pusher from 'pusher-js';
import PusherSdk from 'pusher';
import { project, startOdy, type Ody } from '../test/helpers/binary';
import { startRedis } from '../test/helpers/redis';

const APP = { id: 'chaos', key: 'chaos-key', secret: 'chaos-secret' };
const CHANNELS = ['presence-chaos-0', 'presence-chaos-1', 'presence-chaos-2'];

export interface OutageOptions {
  clients: number;
  /** How long Redis is down. */
  outageMs: number;
  log?: (line: string) => void;
}

export interface OutageReport {
  clients: number;
  outageMs: number;
  /** Subscribe/unsubscribe actions taken by clients over the run. */
  churn: number;
  /** The node started during the outage refused to start (exit 1, naming Redis). */
  lateNodeRefused: boolean;
  /** Clients on the node started right after the outage, in the channels at the end. */
  lateNodeClients: number;
  /** Clients whose member list differs from the API's at the end. */
  listMismatches: string[];
  /** Member events a client heard that were not news (added while listed, removed while not listed). */
  redundantEvents: string[];
  /** Members whose webhooks do not alternate, or end in a state other than the API's. */
  webhookProblems: string[];
  webhooks: number;
}

interface Seat {
  pusher: Pusher;
  user: string;
  /** What this client lists per channel (from subscription_succeeded and member events). */
  lists: Map<string, Set<string>>;
}

const config = (hookUrl: string, redisUrl: string) => `
export default {
  port: 0,
  apps: [{ id: '${APP.id}', key: '${APP.key}', secret: '${APP.secret}', webhooks: [{ url: '${hookUrl}' }] }],
  adapter: { driver: 'redis', url: '${redisUrl}', prefix: 'chaos' },
  additional: { workerNum: 1, logLevel: 'info', shutdownTimeout: 2 },
};
`;

export async function runOutage(options: OutageOptions): Promise<OutageReport> {
  const log = options.log ?? (() => {});
  const report: OutageReport = { clients: options.clients, outageMs: options.outageMs, churn: 0, lateNodeRefused: false, lateNodeClients: 0, listMismatches: [], redundantEvents: [], webhookProblems: [], webhooks: 0 };
  const events: { name: string; channel: string; user_id?: string }[] = [];
  const hooks = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      events.push(...(JSON.parse(await request.text()).events as typeof events));
      return new Response('ok');
    },
  });
  await using redis = await startRedis();
  const text = config(`http://127.0.0.1:${hooks.port}/hooks`, redis.url);
  const nodes: Ody[] = [];
  const seats: Seat[] = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': text })));
    const sdk = new PusherSdk({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: new URL(nodes[0]!.url).port, useTLS: false });
    const join = async (url: string, user: string): Promise<Seat> => {
      const u = new URL(url);
      const pusher = new Pusher(APP.key, {
        wsHost: u.hostname, wsPort: Number(u.port), forceTLS: false, enabledTransports: ['ws'], disableStats: true, cluster: 'mt1',
        channelAuthorization: { customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, cb: (e: Error | null, a: unknown) => void) => cb(null, sdk.authorizeChannel(socketId, channelName, { user_id: user, user_info: { name: user } })) } as never,
      });
      const seat: Seat = { pusher, user, lists: new Map() };
      seats.push(seat);
      return seat;
    };
    const subscribe = (seat: Seat, channel: string) => {
      const ch = seat.pusher.subscribe(channel);
      ch.unbind_all();
      ch.bind('pusher:subscription_succeeded', (m: { each(f: (x: { id: string }) => void): void }) => {
        const list = new Set<string>();
        m.each((x) => list.add(x.id));
        seat.lists.set(channel, list);
      });
      ch.bind('pusher:member_added', (m: { id: string }) => {
        const list = seat.lists.get(channel);
        if (!list) return;
        if (list.has(m.id)) report.redundantEvents.push(`${seat.user} heard ${m.id} added to ${channel} again`);
        list.add(m.id);
      });
      ch.bind('pusher:member_removed', (m: { id: string }) => {
        const list = seat.lists.get(channel);
        if (!list) return;
        if (!list.delete(m.id)) report.redundantEvents.push(`${seat.user} heard ${m.id} removed from ${channel} though not listed`);
      });
    };
    const unsubscribe = (seat: Seat, channel: string) => {
      seat.pusher.unsubscribe(channel);
      seat.lists.delete(channel);
    };
    for (let i = 0; i < options.clients; i++) subscribe(await join(nodes[i % 2]!.url, `u${i}`), CHANNELS[i % CHANNELS.length]!);

    // Churn: a random client joins or leaves a random channel every 150 ms, on both sides of the outage.
    const churn = setInterval(() => {
      const seat = seats[Math.floor(Math.random() * seats.length)]!;
      if (seat.pusher.connection.state !== 'connected') return;
      const channel = CHANNELS[Math.floor(Math.random() * CHANNELS.length)]!;
      if (seat.pusher.channel(channel)) unsubscribe(seat, channel);
      else subscribe(seat, channel);
      report.churn++;
    }, 150);
    try {
      await Bun.sleep(3000);
      await redis.kill();
      log(`redis killed for ${options.outageMs} ms`);
      await Bun.sleep(Math.min(2000, options.outageMs / 2));
      const refused = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': text })).then(
        (o) => (nodes.push(o), ''),
        (error: Error) => error.message,
      );
      report.lateNodeRefused = /exit 1\).*cannot reach Redis/s.test(refused);
      log(`a node started during the outage: ${report.lateNodeRefused ? 'refused, naming Redis' : `unexpected: ${refused.slice(0, 200) || 'it started'}`}`);
      await Bun.sleep(options.outageMs - Math.min(2000, options.outageMs / 2));
      await redis.restart();
      const late = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': text }));
      nodes.push(late);
      log(`redis back; a node started at once: ${/redis adapter up: node \d+/.exec(late.output())?.[0]}`);
      for (let i = 0; i < 3; i++) subscribe(await join(late.url, `late${i}`), CHANNELS[i]!);
      await Bun.sleep(3000);
    } finally {
      clearInterval(churn);
    }
    await Bun.sleep(6000); // held departures (3 s) and re-syncs (every second) settle

    for (const channel of CHANNELS) {
      const users = ((await (await sdk.get({ path: `/channels/${channel}/users` })).json()) as { users: { id: string }[] }).users.map((u) => u.id).sort();
      const want = users.join(',');
      for (const seat of seats) {
        const list = seat.lists.get(channel);
        if (!list) continue;
        const got = [...list].sort().join(',');
        if (got !== want) report.listMismatches.push(`${seat.user} in ${channel} lists [${got}], the API [${want}]`);
      }
      const byUser = new Map<string, string[]>();
      for (const e of events) if (e.channel === channel && e.user_id) (byUser.get(e.user_id) ?? byUser.set(e.user_id, []).get(e.user_id)!).push(e.name);
      for (const [user, names] of byUser) {
        const alternates = names.every((n, i) => n === (i % 2 === 0 ? 'member_added' : 'member_removed'));
        const present = names.at(-1) === 'member_added';
        if (!alternates || present !== users.includes(user)) report.webhookProblems.push(`${user} in ${channel}: ${names.join(', ')} (API: ${users.includes(user) ? 'present' : 'absent'})`);
      }
      for (const user of users) if (!byUser.has(user)) report.webhookProblems.push(`${user} in ${channel}: listed by the API, no member_added webhook`);
      report.lateNodeClients += seats.filter((s) => s.user.startsWith('late') && s.lists.has(channel)).length;
    }
    report.webhooks = events.length;
    for (const [i, n] of nodes.entries()) for (const line of n.output().split('\n')) if (/node|redis/.test(line)) log(`node ${i}: ${line.replace(/^\S+ /, '')}`);
  } finally {
    for (const seat of seats) seat.pusher.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    hooks.stop(true);
  }
  return report;
}

/** What the outage run must show. */
export function judgeOutage(r: OutageReport): string[] {
  const problems: string[] = [];
  if (!r.lateNodeRefused) problems.push('the node started during the outage did not refuse with a line naming Redis');
  if (r.lateNodeClients === 0) problems.push('no client of the node started after the outage ended in a channel');
  if (r.listMismatches.length) problems.push(`${r.listMismatches.length} member lists differ from the API: ${r.listMismatches.slice(0, 5).join('; ')}`);
  if (r.redundantEvents.length) problems.push(`${r.redundantEvents.length} member events were not news: ${r.redundantEvents.slice(0, 5).join('; ')}`);
  if (r.webhookProblems.length) problems.push(`${r.webhookProblems.length} members' webhooks are off: ${r.webhookProblems.slice(0, 5).join('; ')}`);
  return problems;
}
