// The presence scenarios (bench/gen/presence.c): joins on 1, 2 and 3 nodes, and churn, ody against Soketi.
import type { GenResult } from './gen';
import type { Metrics, Scenario } from './scenarios';
import { PUSHER_APP } from './pusher-app';

const pusherApp = { app: PUSHER_APP.id, key: PUSHER_APP.key, secret: PUSHER_APP.secret };
// Presence: 2,000 distinct users join presence-bench, 32 subscribes unanswered at a time (a reconnect storm with a
// bound), members spread over the nodes in turn. Every join is O(members) for the server by the protocol (the list
// to the new member, one member_added to each other member), so the run is O(members²) deliveries: 2 million here.
const presenceArgs = (q: boolean) => ({ mode: 'presence', conns: q ? 500 : 2000, conc: 32, ...pusherApp });
const PRESENCE_ROWS = ['rate', 'cpu_per', 'converge_ms', 'kb_per', 'p99_us', 'gen_cpu_per'];

export const PRESENCE_SCENARIOS: Scenario[] = [
  {
    id: 'presence-join',
    title: 'presence join: 2,000 users join one presence channel, 32 at a time, 1 node',
    unit: 'join',
    units: 'joins',
    workers: 1,
    pusher: true,
    kinds: ['ody', 'soketi'],
    args: presenceArgs,
    timeoutS: () => 120,
    rows: PRESENCE_ROWS,
  },
  {
    id: 'presence-join2',
    title: 'presence join on 2 nodes over Redis: 2,000 users, every other one on node B',
    unit: 'join',
    units: 'joins',
    workers: 1,
    pusher: true,
    redis: true,
    baseline: 'presence-join',
    compare: { metric: 'cpu_per', as: 'cpu_vs_1n' },
    kinds: ['ody', 'soketi'],
    args: presenceArgs,
    timeoutS: () => 150,
    rows: [...PRESENCE_ROWS, 'cpu_vs_1n'],
  },
  {
    id: 'presence-join3',
    title: 'presence join on 3 nodes over Redis: 2,000 users, user i on node i mod 3',
    unit: 'join',
    units: 'joins',
    workers: 1,
    pusher: true,
    redis: true,
    nodes: 3,
    baseline: 'presence-join',
    // The target row: the 1-node run goes right before each 3-node run, and the ratio is taken per round (the VM's
    // speed drifts: one recording's three 1-node runs cost 1,670, 1,970 and 1,065 µs per join minutes apart).
    interleave: true,
    compare: { metric: 'cpu_per', as: 'cpu_vs_1n' },
    kinds: ['ody'],
    args: presenceArgs,
    timeoutS: () => 150,
    rows: [...PRESENCE_ROWS, 'cpu_vs_1n'],
  },
  {
    id: 'presence-churn',
    title: 'presence churn on 2 nodes: 2,000 members, 2% leave (unsubscribe) and rejoin 0.5 s later per second',
    unit: 'leave or rejoin',
    units: 'leaves+rejoins',
    workers: 1,
    pusher: true,
    redis: true,
    kinds: ['ody', 'soketi'],
    args: (q) => ({ mode: 'pchurn', conns: q ? 500 : 2000, conc: 32, churn: 0.02, duration: q ? 10 : 30, ...pusherApp }),
    timeoutS: (q) => (q ? 90 : 150),
    rows: ['rate', 'cpu_ms_per_s', 'p50_us', 'p99_added_us', 'p99_removed_us', 'gen_cpu_per'],
  },
];

/** The figures of a presence run: per join (presence) or per second of churn (pchurn). */
export function presenceMetrics(g: GenResult, busy: Metrics): Metrics {
  const units = g.units > 0 ? g.units : null;
  const per = (us: number) => (units ? us / units : null);
  const pct = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : null);
  if (g.mode === 'presence') {
    // joins/s up to the last subscription_succeeded; CPU over the whole phase, until every member_added is in.
    return {
      rate: units && Number(g.join_s) > 0 ? units / Number(g.join_s) : null,
      cpu_per: per(g.server_cpu_us),
      converge_ms: Number(g.converge_ms),
      kb_per: units ? Number(g.bytes_in) / 1024 / units : null,
      p50_us: pct(g.p50_us),
      p99_us: pct(g.p99_us),
      gen_cpu_per: per(g.gen_cpu_us),
      ...busy,
    };
  }
  return {
    rate: units && g.elapsed_s > 0 ? units / g.elapsed_s : null,
    cpu_ms_per_s: g.elapsed_s > 0 ? g.server_cpu_us / 1000 / g.elapsed_s : null,
    p50_us: pct(g.p50_us),
    p99_added_us: pct(g.p99_added_us),
    p99_removed_us: pct(g.p99_removed_us),
    gen_cpu_per: per(g.gen_cpu_us),
    ...busy,
  };
}
