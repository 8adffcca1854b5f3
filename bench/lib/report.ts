// Reduces the rounds to medians, ratios and target verdicts, and renders the stdout table.
import type { GenResult } from './gen';
import { type Kind, KINDS, PLAIN_KINDS } from './servers';
import { LOWER_IS_BETTER, METRIC_LABELS, type Metrics, type Scenario, SCENARIOS, type ScenarioId } from './scenarios';

export type Run = { round: number; metrics?: Metrics; errors: number; firstError: string; failure?: string; procs?: number; raw?: GenResult };
export type Cell = { runs: Run[]; median: Metrics; failure?: string };
export type Results = Partial<Record<ScenarioId, Partial<Record<Kind, Cell>>>>;

export type Target = {
  label: string;
  scenario: ScenarioId;
  metric: string;
  vs: Kind | 'self'; // 'self': ody against its own baseline scenario (1 worker, 1 node, or the shared table off): the metric is that ratio
  op: '<=' | '>=';
  /** null: the ratio is reported with no target (no verdict). */
  limit: number | null;
  /** A metric printed beside the verdict for both servers (e.g. the latency that goes with a rate). */
  also?: string;
};

export const TARGETS: Target[] = [
  { label: 'echo CPU/msg, ody/bun', scenario: 'echo', metric: 'cpu_per', vs: 'bun', op: '<=', limit: 1.25 },
  { label: 'fan-out CPU/delivery, ody/bun', scenario: 'fanout', metric: 'cpu_per', vs: 'bun', op: '<=', limit: 1.1 },
  { label: 'idle RSS growth/conn, ody/bun', scenario: 'idle', metric: 'kb_per_conn', vs: 'bun', op: '<=', limit: 1.25 },
  { label: 'process base RSS, ody/bun', scenario: 'idle', metric: 'base_rss_mb', vs: 'bun', op: '<=', limit: 1.3 },
  { label: 'process base RSS, app binary, ody/bun', scenario: 'idle-app', metric: 'base_rss_mb', vs: 'bun', op: '<=', limit: 1.3 },
  { label: 'handshake CPU, ody/bun', scenario: 'handshake', metric: 'cpu_per', vs: 'bun', op: '<=', limit: 1.15 },
  { label: 'handshakes/s, ody/bun', scenario: 'handshake', metric: 'rate', vs: 'bun', op: '>=', limit: 0.9 },
  { label: '2-worker echo msgs/s, ody 2w/1w', scenario: 'echo2w', metric: 'scaling', vs: 'self', op: '>=', limit: 1.6 },
  { label: '2-worker handshake CPU, shared table on/off', scenario: 'handshake2w', metric: 'cpu_vs_off', vs: 'self', op: '<=', limit: 1.1 },
  { label: 'fan-out over Redis deliveries/s, ody/bun', scenario: 'fanout-redis', metric: 'rate', vs: 'bun', op: '>=', limit: 0.9, also: 'p99_us' },
  // 'bun' in the Pusher scenarios is the raw Bun Pusher floor (bench/peers/bun-pusher-floor.ts).
  { label: 'pusher fan-out CPU/delivery, ody/floor', scenario: 'pusher-fanout', metric: 'cpu_per', vs: 'bun', op: '<=', limit: 1.15, also: 'p99_us' },
  { label: 'pusher connect+subscribe/s, ody/floor', scenario: 'pusher-connect', metric: 'rate', vs: 'bun', op: '>=', limit: 0.9, also: 'cpu_per' },
  { label: 'pusher connect+subscribe CPU, ody/floor', scenario: 'pusher-connect', metric: 'cpu_per', vs: 'bun', op: '<=', limit: 1.15 },
  // A join must not cost more as the cluster grows: ody's CPU per join (all nodes and redis-server) over its 1-node figure.
  { label: 'presence join CPU, ody 3 nodes/1 node', scenario: 'presence-join3', metric: 'cpu_vs_1n', vs: 'self', op: '<=', limit: 1.3, also: 'cpu_per' },
  { label: 'presence join CPU, ody 2 nodes/1 node', scenario: 'presence-join2', metric: 'cpu_vs_1n', vs: 'self', op: '<=', limit: null, also: 'cpu_per' },
  { label: 'presence joins/s on 2 nodes, ody/Soketi', scenario: 'presence-join2', metric: 'rate', vs: 'soketi', op: '>=', limit: 5, also: 'converge_ms' },
  { label: 'presence joins/s on 1 node, ody/Soketi', scenario: 'presence-join', metric: 'rate', vs: 'soketi', op: '>=', limit: null, also: 'cpu_per' },
  { label: 'presence churn CPU/s on 2 nodes, ody/Soketi', scenario: 'presence-churn', metric: 'cpu_ms_per_s', vs: 'soketi', op: '<=', limit: null, also: 'p99_removed_us' },
];

export type Verdict = Target & { value: number | null; reference: number | null; pass: boolean | null; alsoValues?: Partial<Record<Kind, number | null>> };

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarize(cell: Cell): void {
  const ok = cell.runs.filter((r) => r.metrics);
  const keys = new Set(ok.flatMap((r) => Object.keys(r.metrics!)));
  cell.median = {};
  for (const k of keys) {
    const vals = ok.map((r) => r.metrics![k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    cell.median[k] = median(vals);
  }
  if (ok.length === 0) cell.failure = cell.runs.find((r) => r.failure)?.failure ?? 'no result';
}

/** Adds the baseline ratio to multi-worker cells: by default median.scaling, their rate over the same server's 1-worker rate. */
export function addScaling(results: Results, scenarios: Scenario[]): void {
  for (const s of scenarios) {
    if (!s.baseline) continue;
    const { metric, as } = s.compare ?? { metric: 'rate', as: 'scaling' };
    for (const kind of KINDS) {
      const cell = results[s.id]?.[kind];
      const base = results[s.baseline]?.[kind];
      const mine = cell?.median[metric];
      if (!cell || cell.failure) continue;
      // Interleaved: each round's pair measured back to back, so the ratio is taken per round (see ratio()).
      const pairs = s.interleave ? cell.runs.flatMap((r) => {
        const b = base?.runs.find((x) => x.round === r.round)?.metrics?.[metric];
        const m = r.metrics?.[metric];
        return typeof b === 'number' && typeof m === 'number' && b > 0 ? [m / b] : [];
      }) : [];
      cell.median[as] = pairs.length > 0 ? median(pairs) : base?.median[metric] && mine ? mine / base.median[metric]! : null;
    }
  }
}

/**
 * a's metric over b's: the median of the ratios of the runs of one round. The two servers of a round run back to
 * back, so each round is a pair measured under the same conditions; this VM's speed drifts over minutes (both the
 * server's and the generator's CPU per handshake rose 30% in the later rounds of one run), and a ratio of the two
 * medians could pair a fast round of one server with a slow round of the other. Without pairs (rounds that failed),
 * the ratio of the medians.
 */
export function ratio(results: Results, id: ScenarioId, metric: string, a: Kind, b: Kind): number | null {
  const valueOf = (r: Run) => r.metrics?.[metric];
  const theirs = new Map((results[id]?.[b]?.runs ?? []).map((r) => [r.round, valueOf(r)]));
  const pairs: number[] = [];
  for (const r of results[id]?.[a]?.runs ?? []) {
    const x = valueOf(r);
    const y = theirs.get(r.round);
    if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) && y !== 0) pairs.push(x / y);
  }
  if (pairs.length > 0) return median(pairs);
  const x = results[id]?.[a]?.median[metric];
  const y = results[id]?.[b]?.median[metric];
  return typeof x === 'number' && typeof y === 'number' && y !== 0 ? x / y : null;
}

/** The peer whose own figure is printed beside a 'self' target (raw Bun's 2w/1w, Soketi's 2 nodes/1 node). */
export const selfPeer = (t: Target): Kind => (SCENARIOS.find((s) => s.id === t.scenario)?.kinds?.find((k) => k !== 'ody') ?? 'bun');

export function verdicts(results: Results): Verdict[] {
  return TARGETS.map((t) => {
    const value = t.vs === 'self' ? (results[t.scenario]?.ody?.median[t.metric] ?? null) : ratio(results, t.scenario, t.metric, 'ody', t.vs);
    // What the same figure is for a peer, to judge the target against this machine's ceiling.
    const reference = t.vs === 'self' ? (results[t.scenario]?.[selfPeer(t)]?.median[t.metric] ?? null) : ratio(results, t.scenario, t.metric, 'ody', 'ws');
    const pass = value === null || t.limit === null ? null : t.op === '<=' ? value <= t.limit : value >= t.limit;
    const alsoValues = t.also ? Object.fromEntries(KINDS.map((k) => [k, results[t.scenario]?.[k]?.median[t.also!] ?? null])) : undefined;
    return { ...t, value, reference, pass, ...(alsoValues && { alsoValues }) };
  });
}

/**
 * The most a W-worker run can gain on this machine when the generator shares the cores:
 * throughput <= min(W/s, cores/(s+g)) against a 1-worker run of min(1/s, 1/g), where s and g
 * are server and generator CPU per unit from the 1-worker run.
 */
export function ceiling(one: Metrics | undefined, workers: number): number | null {
  const s = one?.cpu_per;
  const g = one?.gen_cpu_per;
  if (!s || !g) return null;
  const cores = navigator.hardwareConcurrency;
  const best = cores > workers ? Math.min(workers / s, 1 / g) : Math.min(workers / s, cores / (s + g));
  return best / Math.min(1 / s, 1 / g);
}

/** Metrics that are already a ratio against the server's own baseline: no ody/peer column. */
const RATIO_METRICS = new Set(['scaling', 'kb_vs_1w', 'cpu_vs_off', 'cpu_vs_1n']);

export function fmt(v: number | null | undefined, metric = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  if (RATIO_METRICS.has(metric)) return `${v.toFixed(2)}x`;
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function table(results: Results, scenarios: Scenario[], selected: Kind[]): string {
  const out: string[] = [];
  for (const s of scenarios) {
    const cells = results[s.id];
    if (!cells) continue;
    // The servers this scenario has, and a ratio column ody/<peer> for each peer among them.
    const kinds = selected.filter((k) => (s.kinds ?? PLAIN_KINDS).includes(k));
    const peers = kinds.includes('ody') ? kinds.filter((k) => k !== 'ody') : [];
    out.push('', `${s.title}`, pad('', 34) + kinds.map((k) => lpad(k, 12)).join('') + peers.map((p) => lpad(`ody/${p}`, 11)).join(''));
    for (const m of s.rows) {
      const label = (METRIC_LABELS[m] ?? m).replaceAll('{units}', s.units).replaceAll('{unit}', s.unit);
      const vals = kinds.map((k) => lpad(fmt(cells[k]?.median[m], m), 12)).join('');
      const r = (b: Kind) => (RATIO_METRICS.has(m) || m === 'alive' ? '' : (fmt(ratio(results, s.id, m, 'ody', b)) + 'x').replace('n/ax', 'n/a'));
      out.push(pad(`  ${label}`, 34) + vals + peers.map((p) => lpad(r(p), 11)).join(''));
    }
    if (s.redis) out.push(`  server CPU is all ${s.nodes ?? 2} nodes plus redis-server`);
    if (s.pusher && kinds.includes('bun')) out.push('  bun: the raw Bun Pusher floor, bench/peers/bun-pusher-floor.ts');
    if (kinds.includes('soketi')) out.push(`  soketi: Soketi 1.6.1 (Node, uWebSockets.js)${s.redis ? ', its Redis adapter between the nodes' : ''}`);
    for (const k of kinds) {
      const c = cells[k];
      if (!c) {
        if (s.kinds && !s.kinds.includes(k)) out.push(`  ${k}: no peer for this scenario`);
        continue;
      }
      if (c.failure) {
        const why = s.workers > 1 && k === 'ody' ? `ody workers not available: ${c.failure}` : c.failure;
        out.push(`  ${k}: n/a (${why})`);
      }
      const errs = c.runs.reduce((n, r) => n + r.errors, 0);
      const first = c.runs.find((r) => r.errors > 0)?.firstError;
      if (errs > 0) out.push(`  ${k}: ${errs.toLocaleString('en-US')} generator-detected errors, first: ${first}`);
      // Presence runs count their errors by kind (bench/gen/presence.c): which promise broke, how often.
      const kinds = { dup_added: 'member_added twice', early: 'member event before subscription_succeeded', unknown_removed: 'member_removed for a user not in the list', list_errors: 'bad list', incomplete_views: 'members whose final list is not every member', setup_errors: 'errors while all first joined (before the churn)' };
      const counts = Object.entries(kinds).map(([f, label]) => [label, c.runs.reduce((n, r) => n + (Number(r.raw?.[f]) || 0), 0)] as const).filter(([, n]) => n > 0);
      if (counts.length > 0) out.push(`  ${k}: ${counts.map(([label, n]) => `${label} ${n.toLocaleString('en-US')}`).join('; ')}`);
      const other = Math.max(0, ...c.runs.map((r) => r.metrics?.other_busy ?? 0));
      if (other > 0.15 && !s.id.startsWith('idle')) out.push(`  ${k}: other load on the machine took up to ${fmt(other * 100)}% of a core during these runs`);
      const ceil = s.baseline && s.workers > 1 && !c.failure ? ceiling(results[s.baseline]?.[k]?.median, s.workers) : null;
      if (ceil !== null) out.push(`  ${k}: best scaling this machine allows with the generator on it: ~${fmt(ceil)}x`);
      const procs = c.runs.find((r) => r.procs)?.procs;
      if (s.workers > 1 && procs) out.push(`  ${k}: ${procs} process(es) in the server tree`);
    }
  }
  return out.join('\n');
}

export function targetLines(vs: Verdict[]): string {
  const lines = ['', "targets (ratio: median over the rounds of ody's figure over the peer's in the same round)"];
  for (const v of vs) {
    const verdict = v.limit === null ? '' : v.pass === null ? 'n/a' : v.pass ? 'PASS' : 'MISS';
    const goal = v.limit === null ? 'no target (reported)' : `target ${v.op} ${v.limit}x  `;
    const other = selfPeer(v);
    const ref = v.reference === null ? '' : v.vs === 'self' ? `   (${other === 'bun' ? 'raw Bun 2w/1w' : `${other}'s own`}: ${fmt(v.reference)}x)` : `   (ody/ws: ${fmt(v.reference)}x)`;
    const peer = v.scenario.startsWith('pusher') ? 'floor' : v.vs;
    const s = SCENARIOS.find((x) => x.id === v.scenario)!;
    const label = (METRIC_LABELS[v.also ?? ''] ?? v.also ?? '').replaceAll('{units}', s.units).replaceAll('{unit}', s.unit);
    const theirs = v.vs === 'self' ? '' : `, ${peer} ${fmt(v.alsoValues?.[v.vs as Kind])}`;
    const also = v.also ? `   (${label}: ody ${fmt(v.alsoValues?.ody)}${theirs})` : '';
    lines.push(`  ${pad(v.label, 42)}${lpad(v.value === null ? 'n/a' : `${fmt(v.value)}x`, 8)}  ${goal}${v.limit === null ? '' : pad(verdict, 4)}${ref}${also}`);
  }
  return lines.join('\n');
}

/** Is the generator cheaper per unit than the server, and who was saturated? */
export function generatorLines(results: Results, scenarios: Scenario[], kinds: Kind[]): string {
  const lines = ['', 'generator check: CPU per unit, generator vs server (share of one core busy during the run)'];
  for (const s of scenarios) {
    if (s.id.startsWith('idle')) continue;
    for (const k of kinds) {
      const m = results[s.id]?.[k]?.median;
      if (!m || m.gen_cpu_per == null || m.cpu_per == null) continue;
      const ok = m.gen_cpu_per < m.cpu_per;
      const bound = (m.gen_busy ?? 0) > 0.9 && (m.server_busy ?? 0) < 0.9 * s.workers ? '  generator-bound' : '';
      lines.push(
        `  ${pad(`${s.id} vs ${k}`, 22)} gen ${lpad(fmt(m.gen_cpu_per), 6)} vs server ${lpad(fmt(m.cpu_per), 6)} µs/${pad(s.unit, 17)}` +
          ` busy gen ${lpad(fmt((m.gen_busy ?? 0) * 100), 4)}% server ${lpad(fmt((m.server_busy ?? 0) * 100), 4)}%  ` +
          `${ok ? 'gen cheaper' : 'GEN COSTLIER'}${bound}`,
      );
    }
  }
  return lines.join('\n');
}
