// The benchmark scenarios: what wsgen is asked to do for each and which numbers come out of its report.
import type { GenResult } from './gen';
import { PRESENCE_SCENARIOS, presenceMetrics } from './presence';
import { PUSHER_APP } from './pusher-app';
import type { Kind } from './servers';

export type ScenarioId =
  | 'echo'
  | 'fanout'
  | 'idle'
  | 'idle-app'
  | 'handshake'
  | 'echo2w'
  | 'fanout2w'
  | 'idle2w'
  | 'handshake2w-off'
  | 'handshake2w'
  | 'fanout-redis'
  | 'pusher-fanout'
  | 'pusher-connect'
  | 'presence-join'
  | 'presence-join2'
  | 'presence-join3'
  | 'presence-churn';
export type Metrics = Record<string, number | null>;

export type Scenario = {
  id: ScenarioId;
  title: string;
  unit: string; // what one "unit" of work is, for per-unit figures
  units: string;
  workers: number;
  /** The 1-worker scenario this one is compared against. */
  baseline?: ScenarioId;
  /** Which baseline metric is compared, and the name of the ratio: by default rate, as 'scaling'. */
  compare?: { metric: string; as: string };
  /** Single-worker nodes on their own ports joined by a throwaway redis-server. */
  redis?: boolean;
  /** With redis: how many nodes. @default 2 */
  nodes?: number;
  /** Pusher protocol: ody with a Pusher app, raw Bun as the Pusher floor peer (bench/peers/bun-pusher-floor.ts), Soketi. */
  pusher?: boolean;
  /**
   * Pairs of runs per round: the handshake runs last 5 s, and on this VM two runs of one server 5 s apart differ
   * by up to 15% (raw Bun against itself: per-round ratios 0.84 to 1.12), so one pair per round cannot resolve a
   * 15% target. Three pairs per round make the median of 9 or 15 pairs instead of 3 or 5. @default 1
   */
  repeat?: number;
  /** ody as an app binary made by `ody build`, and raw Bun run from that same file. */
  app?: boolean;
  /** ody with the machine's shared connection table off (additional.table.connections: 0), to price the table. */
  tableOff?: boolean;
  /**
   * The baseline runs inside this scenario's rounds, right before it, and the compared ratio is the median of the
   * per-round ratios: two scenarios run one after the other straddle the VM's drift (raw Bun's own CPU per handshake
   * rose from 58.6 to 77.8 µs across the table-on runs of one recording).
   */
  interleave?: boolean;
  /** Servers that have an implementation of this scenario; default ody, raw Bun and Node ws. */
  kinds?: Kind[];
  args(quick: boolean): Record<string, number | string>;
  timeoutS(quick: boolean): number;
  rows: string[]; // metrics shown in the table, in order
};

export const METRIC_LABELS: Record<string, string> = {
  rate: '{units}/s',
  p50_us: 'p50 latency µs',
  p99_us: 'p99 latency µs',
  cpu_per: 'server CPU µs/{unit}',
  gen_cpu_per: 'generator CPU µs/{unit}',
  kb_per_conn: 'RSS growth KB/conn (after 5%)',
  warm_kb_per_conn: 'RSS KB/conn, first 5% (warm-up)',
  base_rss_mb: 'process base RSS MB',
  base_anon_mb: '  private (heap, stacks) MB',
  base_file_mb: '  mapped from the binary MB',
  kb_vs_1w: 'RSS growth/conn vs 1 worker',
  cpu_vs_off: 'CPU/{unit} vs shared table off',
  alive: 'connections held',
  scaling: 'scaling vs 1 worker',
  converge_ms: 'ms until every member saw every join',
  kb_per: 'KB sent per {unit}',
  cpu_vs_1n: 'CPU/{unit} vs 1 node',
  cpu_ms_per_s: 'server CPU ms per second',
  p99_added_us: 'p99 member_added µs',
  p99_removed_us: 'p99 member_removed µs',
};

/** Metrics where a smaller number is better (ratios below 1 favour ody). */
export const LOWER_IS_BETTER = new Set([
  'p50_us',
  'p99_us',
  'cpu_per',
  'gen_cpu_per',
  'kb_per_conn',
  'warm_kb_per_conn',
  'base_rss_mb',
  'base_anon_mb',
  'base_file_mb',
  'kb_vs_1w',
  'cpu_vs_off',
  'converge_ms',
  'kb_per',
  'cpu_vs_1n',
  'cpu_ms_per_s',
  'p99_added_us',
  'p99_removed_us',
]);

const echoArgs = (quick: boolean, duration: number) => ({
  mode: 'echo',
  conns: 100,
  depth: 8,
  size: 32,
  warmup: quick ? 0.5 : 1,
  duration: quick ? 3 : duration,
});
// Publishes go out 8 per write with two such batches queued, so every server sees the same
// arrival pattern; one-at-a-time publishing made raw Bun's rate swing 2x from run to run here.
// 2,000 messages: 500 came to about 0.26 s of server CPU, where one 10 ms CPU tick is 4% and the VM's hiccups
// moved raw Bun's own figure by 40% between runs.
const fanArgs = (quick: boolean) => ({ mode: 'fanout', conns: 2000, msgs: 2000, size: 64, window: 16, batch: 8, duration: quick ? 30 : 60 });
// The first 5% of connections carry the allocator's and the runtime's warm-up; the growth per
// connection is measured over the other 95%. settle: seconds after start before the base RSS is read.
// hold: seconds the connections stay open before RSS is read. Handshakes leave garbage (requests and what a server
// allocates around them) that the runtime's GC timer collects within a few seconds of quiet; read after 2 s, the
// figure swung by 40% with when the last collection happened to run (raw Bun gave 1.46 or 2.08 KB/conn, and a change
// that made ody's handshake allocate less made its figure worse). After 8 s it is what the connections hold.
const idleArgs = (quick: boolean) => ({ mode: 'idle', conns: 10000, warmconns: 500, hold: quick ? 4 : 8, settle: 0.5 });
/** A handshake scenario: connect, upgrade, close, 32 at a time, three pairs per round (see `repeat`). */
const handshakes = (s: Pick<Scenario, 'id' | 'title' | 'workers'> & Partial<Scenario>): Scenario => ({
  unit: 'handshake',
  units: 'handshakes',
  repeat: 3,
  // rst=1: abortive TCP close after the WebSocket close handshake, see wsgen's conn_close.
  args: (q) => ({ mode: 'handshake', conc: 32, warmup: 0.5, duration: q ? 2 : 5, rst: 1, max: 500000 }),
  timeoutS: () => 40,
  rows: ['rate', 'cpu_per', 'gen_cpu_per'],
  ...s,
});
const IDLE_ROWS = ['kb_per_conn', 'warm_kb_per_conn', 'base_rss_mb', 'base_anon_mb', 'base_file_mb', 'alive'];
// wsgen signs the API requests with the same app the servers are configured with.
const pusherApp = { app: PUSHER_APP.id, key: PUSHER_APP.key, secret: PUSHER_APP.secret };

export const SCENARIOS: Scenario[] = [
  {
    id: 'echo',
    title: 'echo: 100 conns x 8 in flight, 32 B',
    unit: 'msg',
    units: 'msgs',
    workers: 1,
    args: (q) => echoArgs(q, 10),
    timeoutS: () => 60,
    rows: ['rate', 'p50_us', 'p99_us', 'cpu_per', 'gen_cpu_per'],
  },
  {
    id: 'fanout',
    title: 'fan-out: 2,000 subscribers, 2,000 x 64 B published',
    unit: 'delivery',
    units: 'deliveries',
    workers: 1,
    args: fanArgs,
    timeoutS: (q) => (q ? 60 : 100),
    rows: ['rate', 'p50_us', 'p99_us', 'cpu_per', 'gen_cpu_per'],
  },
  {
    id: 'idle',
    title: 'idle: 10,000 open connections (RSS over the server process tree)',
    unit: 'conn',
    units: 'conns',
    workers: 1,
    args: idleArgs,
    timeoutS: () => 150,
    rows: IDLE_ROWS,
  },
  {
    // How ody ships (ody build, the Dockerfile): the config is compiled in, so no source is parsed at run time.
    id: 'idle-app',
    title: 'idle, app binary: 10,000 open connections to the bench app compiled by `ody build`',
    unit: 'conn',
    units: 'conns',
    workers: 1,
    app: true,
    kinds: ['ody', 'bun'],
    args: idleArgs,
    timeoutS: () => 150,
    rows: IDLE_ROWS,
  },
  handshakes({ id: 'handshake', title: 'handshakes: connect, upgrade, close; 32 at a time', workers: 1 }),
  {
    id: 'echo2w',
    title: 'echo with 2 workers',
    unit: 'msg',
    units: 'msgs',
    workers: 2,
    baseline: 'echo',
    args: (q) => echoArgs(q, 5),
    timeoutS: () => 60,
    rows: ['rate', 'scaling', 'cpu_per'],
  },
  {
    id: 'fanout2w',
    title: 'fan-out with 2 workers',
    unit: 'delivery',
    units: 'deliveries',
    workers: 2,
    baseline: 'fanout',
    args: fanArgs,
    timeoutS: (q) => (q ? 60 : 100),
    rows: ['rate', 'scaling', 'cpu_per'],
  },
  {
    id: 'idle2w',
    title: 'idle with 2 workers',
    unit: 'conn',
    units: 'conns',
    workers: 2,
    baseline: 'idle',
    compare: { metric: 'kb_per_conn', as: 'kb_vs_1w' },
    args: idleArgs,
    timeoutS: () => 150,
    rows: [...IDLE_ROWS.slice(0, 3), 'kb_vs_1w', 'alive'],
  },
  // The price of the machine-wide connection table: the same 2-worker handshake with the table off, ody alone.
  handshakes({ id: 'handshake2w-off', title: 'handshakes with 2 workers, shared connection table off (additional.table.connections: 0)', workers: 2, tableOff: true, kinds: ['ody'] }),
  // Every handshake claims, fills and frees a slot of the machine's table in shared memory (see src/connections).
  handshakes({
    id: 'handshake2w',
    title: 'handshakes with 2 workers (the machine-wide connection table on)',
    workers: 2,
    baseline: 'handshake2w-off',
    interleave: true,
    compare: { metric: 'cpu_per', as: 'cpu_vs_off' },
    rows: ['rate', 'cpu_per', 'cpu_vs_off', 'gen_cpu_per'],
  }),
  {
    id: 'fanout-redis',
    title: 'fan-out over Redis: 2 nodes x 1,000 subscribers, publisher on node A',
    unit: 'delivery',
    units: 'deliveries',
    workers: 1,
    redis: true,
    kinds: ['ody', 'bun'],
    // Four batches in flight rather than two: half the deliveries wait for a trip through Redis.
    // More messages than one node gets, so the measured phase lasts seconds, not tenths.
    args: (q) => ({ ...fanArgs(q), msgs: 2000, window: 32 }),
    timeoutS: (q) => (q ? 60 : 100),
    rows: ['rate', 'p50_us', 'p99_us', 'cpu_per', 'gen_cpu_per'],
  },
  {
    id: 'pusher-fanout',
    title: 'Pusher fan-out: 2,000 subscribers on one public channel, 2,000 signed HTTP API triggers of 64 B data',
    unit: 'delivery',
    units: 'deliveries',
    workers: 1,
    pusher: true,
    kinds: ['ody', 'bun'],
    // Same pacing as fan-out: triggers are pipelined 8 per write on one keep-alive connection, 16 in flight.
    // 2,000 messages (about 1.5 s measured) so 10 ms CPU ticks are well under 1% of a 1.15x target.
    args: (q) => ({ ...fanArgs(q), mode: 'pusher', msgs: 2000, warm: 200, ...pusherApp }),
    timeoutS: (q) => (q ? 60 : 100),
    rows: ['rate', 'p50_us', 'p99_us', 'cpu_per', 'gen_cpu_per'],
  },
  {
    id: 'pusher-connect',
    title: 'Pusher connect+subscribe: connect, established, subscribe, succeeded, close; 32 at a time',
    unit: 'connect+subscribe',
    units: 'connect+subscribes',
    workers: 1,
    pusher: true,
    kinds: ['ody', 'bun'],
    repeat: 3,
    // A 3 s warm-up: ody's JIT threads were busy for its first ~2 s of this load (about 15% of a core, then 0), the
    // floor's hardly at all, so a 0.5 s warm-up counted ody's compiling as a per-connection cost. Both get the same.
    args: (q) => ({ mode: 'pconnect', conc: 32, warmup: q ? 1 : 3, duration: q ? 2 : 5, rst: 1, max: 500000, ...pusherApp }),
    timeoutS: () => 40,
    rows: ['rate', 'cpu_per', 'gen_cpu_per'],
  },
  ...PRESENCE_SCENARIOS,
];

/** Turns one wsgen report into the figures the table and JSON use. */
export function metricsOf(s: Scenario, g: GenResult, split?: { anon_kb: number; file_kb: number }): Metrics {
  const units = g.units > 0 ? g.units : null;
  const per = (us: number) => (units ? us / units : null);
  const pct = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : null);
  const share = (us: unknown) => (g.elapsed_s > 0 && typeof us === 'number' ? us / 1e6 / g.elapsed_s : null);
  // CPU used by anything but the server and wsgen (other jobs, softirq, steal): a disturbed run.
  const other_busy = share(Number(g.other_cpu_us ?? 0) + Number(g.steal_us ?? 0));
  const busy = { server_busy: share(g.server_cpu_us), gen_busy: share(g.gen_cpu_us), other_busy };
  if (g.mode === 'idle') {
    // rss_before_kb is read after the warm-up connections, rss_base_kb before any connection.
    const warm = Number(g.warm_conns);
    return {
      kb_per_conn: units ? (g.rss_after_kb - g.rss_before_kb) / units : null,
      warm_kb_per_conn: warm > 0 ? (g.rss_before_kb - Number(g.rss_base_kb)) / warm : null,
      base_rss_mb: Number(g.rss_base_kb) > 0 ? Number(g.rss_base_kb) / 1024 : null,
      base_anon_mb: split ? split.anon_kb / 1024 : null,
      base_file_mb: split ? split.file_kb / 1024 : null,
      alive: Number(g.conns_alive),
      other_busy,
    };
  }
  if (g.mode === 'presence' || g.mode === 'pchurn') return presenceMetrics(g, busy);
  return {
    rate: units && g.elapsed_s > 0 ? units / g.elapsed_s : null,
    p50_us: pct(g.p50_us),
    p99_us: pct(g.p99_us),
    cpu_per: per(g.server_cpu_us),
    gen_cpu_per: per(g.gen_cpu_us),
    ...busy,
  };
}
