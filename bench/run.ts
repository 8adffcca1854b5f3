// `bun run bench`: ody vs raw Bun.serve vs Node ws on this machine, same load generator, rounds interleaved.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildGen, runGen } from './lib/gen';
import { machine, machineLine } from './lib/machine';
import { buildOdyAppBinary, ensureOdyBinary, ROOT } from './lib/ody';
import { boostWorks, hasTaskset, rssSplit, treePids, waitQuiet } from './lib/proc';
import { addScaling, type Cell, fmt, generatorLines, ratio, type Results, summarize, table, targetLines, verdicts } from './lib/report';
import { type Redis, startRedis } from './lib/redis';
import { mergeSaved, recordedLine, type Saved, stamp } from './lib/saved';
import { metricsOf, SCENARIOS, type Scenario } from './lib/scenarios';
import { type Context, type Kind, KINDS, PLAIN_KINDS, type Running, startServer } from './lib/servers';
import { writeReadmeTable } from './lib/readme-table';
import { chart } from './lib/svg';

const HELP = `usage: bun bench/run.ts [--quick] [--only echo,fanout,idle,idle-app,handshake,workers,fanout-redis,pusher,presence]
                       [--rounds N] [--servers ody,bun,ws,soketi] [--rebuild] [--no-save]
  --quick    1 round, shorter runs (for development)
  --only     scenarios to run; "workers" = echo2w,fanout2w,idle2w,handshake2w (their baselines are added:
             the 1-worker runs, and for handshake2w the same with the shared connection table off);
             idle-app: the bench app compiled by \`ody build\` (ody and raw Bun only);
             fanout-redis: 2 nodes joined by a throwaway redis-server (ody and raw Bun only)
             pusher = pusher-fanout,pusher-connect: Pusher protocol, ody against a raw Bun Pusher floor
             presence = presence-join (1 node), presence-join2, presence-join3 (nodes over Redis), presence-churn:
             ody against Soketi (ODY_BENCH_SOKETI: a copy of ../shared/peers/soketi with npm ci run in it)
  --rounds   rounds per scenario (default 3, quick 1; handshake and pusher-connect run 3 times as many);
             servers alternate within each round
  --servers  which servers to compare (default all; a scenario runs only the ones it has)
  --rebuild  build ody from the current src/ into the temp dir (dist/ody is left as it is)
  --no-save  don't write docs/bench/results.json and results.svg
             (with --only, the scenarios run replace theirs in the saved results; the rest are kept)`;

const GROUPS: Record<string, string[]> = {
  workers: ['echo2w', 'fanout2w', 'idle2w', 'handshake2w'],
  pusher: ['pusher-fanout', 'pusher-connect'],
  presence: ['presence-join', 'presence-join2', 'presence-join3', 'presence-churn'],
};

function flags() {
  const a = process.argv.slice(2);
  const val = (name: string) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? a[i + 1] : undefined;
  };
  if (a.includes('--help') || a.includes('-h')) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = a.includes('--quick');
  const only = new Set((val('only') ?? '').split(',').filter(Boolean).flatMap((s) => GROUPS[s] ?? [s]));
  for (const s of SCENARIOS) if (only.has(s.id) && s.baseline) only.add(s.baseline);
  const unknown = [...only].filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}\n${HELP}`);
  const servers = (val('servers') ?? KINDS.join(',')).split(',') as Kind[];
  return {
    quick,
    rounds: Number(val('rounds') ?? (quick ? 1 : 3)),
    scenarios: SCENARIOS.filter((s) => only.size === 0 || only.has(s.id)),
    servers: KINDS.filter((k) => servers.includes(k)),
    partial: only.size > 0,
    save: !a.includes('--no-save'),
    rebuild: a.includes('--rebuild'),
  };
}

const t0 = performance.now();
const log = (msg: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);

/** Server core(s) and generator core(s): apart when possible so neither steals the other's CPU. */
function pinning(workers: number): { server: string | null; gen: string | null } {
  const cores = os.cpus().length;
  if (!hasTaskset() || cores < 2) return { server: null, gen: null };
  if (workers === 1) return { server: '0', gen: '1' };
  // Two workers need two cores; on a 2-core box the generator has to share one of them.
  return cores >= 3 ? { server: '0,1', gen: '2' } : { server: '0,1', gen: '1' };
}

// What is running right now, so an interrupt or a crash stops it (by pid) on the way out.
let current: Running[] = [];
let redis: Redis | null = null;
/** Stops the servers of one measurement; a scenario's redis-server lives on across its runs. */
const stopServers = async () => {
  await Promise.all(current.map((r) => r.stop()));
  current = [];
};
const stopAll = async () => {
  await stopServers();
  await redis?.stop();
  redis = null;
};
let quietBudget = 60;
process.on('SIGINT', async () => {
  await stopAll();
  process.exit(130);
});

/** One server, or for a Redis scenario node A, B (and C), each single-worker on its own port. */
async function startAll(s: Scenario, kind: Kind, ctx: Context, cores: string | null): Promise<void> {
  if (!s.redis) {
    current.push(await startServer(kind, ctx, { workers: s.workers, pusher: s.pusher, app: s.app, tableOff: s.tableOff }, cores));
    return;
  }
  if (!redis) throw new Error('redis-server is not running');
  for (let node = 0; node < (s.nodes ?? 2); node++) {
    current.push(await startServer(kind, ctx, { workers: 1, pusher: s.pusher, redis: { url: redis.url, node } }, cores));
  }
}

async function measure(s: Scenario, kind: Kind, round: number, ctx: Context, gen: string, quick: boolean, cell: Cell) {
  // Two or three nodes need two cores just as two workers do.
  const pin = pinning(s.redis ? 2 : s.workers);
  // Waiting for other jobs to finish is capped over the whole run, so a busy machine can't stretch it much.
  const waitStart = performance.now();
  await waitQuiet(Math.min(10, quietBudget), log);
  quietBudget = Math.max(0, quietBudget - (performance.now() - waitStart) / 1000);
  const failed = (e: unknown) => cell.runs.push({ round, errors: 0, firstError: '', failure: String((e as Error).message).split('\n')[0] });
  try {
    await startAll(s, kind, ctx, pin.server);
  } catch (e) {
    failed(e);
    await stopServers();
    return;
  }
  try {
    const procs = current.reduce((n, r) => n + r.procs, 0);
    // ody's workers are processes; a lone process means workerNum was silently ignored.
    if (kind === 'ody' && s.workers > 1 && procs < 2) throw new Error(`additional.workerNum: ${s.workers} was ignored (1 process, no workers)`);
    // wsgen sums CPU and RSS over every pid's process tree: the server(s), and redis-server too.
    const pids = [...current.map((r) => r.pid), ...(s.redis && redis ? [redis.pid] : [])];
    const ports = { port: current[0]!.port, ...(current[1] && { port2: current[1].port }), ...(current[2] && { port3: current[2].port }) };
    const args = { ...s.args(quick), ...ports, pid: pids.join(',') };
    // What the base RSS is made of, read before any connection (wsgen reads the total itself).
    const split = s.rows.includes('base_anon_mb') ? rssSplit(current.flatMap((r) => treePids(r.pid))) : undefined;
    const g = await runGen(gen, pin.gen, args, s.timeoutS(quick));
    cell.runs.push({ round, metrics: metricsOf(s, g, split), errors: Number(g.errors) || 0, firstError: g.first_error, procs, raw: g });
  } catch (e) {
    failed(e);
  } finally {
    await stopServers();
  }
}

async function main() {
  const opt = flags();
  const tmp = mkdtempSync(join(os.tmpdir(), 'ody-bench-'));
  const nodeBin = Bun.which('node');
  const nodeVersion = nodeBin ? Bun.spawnSync([nodeBin, '--version']).stdout.toString().trim() : 'missing';
  // Built even when only raw Bun is measured: the raw Bun peers run on the Bun inside it (see servers.ts).
  const ody = ensureOdyBinary(log, opt.rebuild, tmp);
  const ctx: Context = {
    tmp,
    ody,
    app: opt.scenarios.some((s) => s.app) ? buildOdyAppBinary(ody, tmp, log) : new Error('not selected'),
    node: nodeBin ? nodeBin : new Error('node is not installed'),
  };
  const niced = boostWorks();
  const gen = buildGen();
  const m = machine(nodeVersion);
  log(`${machineLine(m)}; fd limit ${m.nofile}`);
  const pin1 = pinning(1);
  log(pin1.server ? `pinning: server on core ${pin1.server}, generator on core ${pin1.gen}` : 'pinning: none (no taskset or 1 core)');
  log(niced ? 'priority: servers and generator in their own sessions at autogroup nice -10' : 'priority: normal (raising it was not permitted)');
  if (ctx.ody instanceof Error) log(`ody unavailable: ${ctx.ody.message}; raw Bun peers run on ${process.execPath}`);
  else log(`raw Bun peers run on the Bun inside ${ctx.ody} (BUN_BE_BUN=1)`);

  const results: Results = {};
  // A server that failed to start for some worker count (or over Redis) is not retried in later rounds.
  const broken = new Map<string, string>();
  // An interleaved scenario's baseline runs inside its rounds, right before it, not as a scenario of its own.
  const inside = new Set(opt.scenarios.filter((s) => s.interleave && s.baseline).map((s) => s.baseline!));
  for (const s of opt.scenarios) {
    if (inside.has(s.id)) continue;
    const base = s.interleave ? opt.scenarios.find((b) => b.id === s.baseline) : undefined;
    const plan = (x: Scenario) => ({ x, cells: (results[x.id] = {}) as Partial<Record<Kind, Cell>>, kinds: opt.servers.filter((k) => (x.kinds ?? PLAIN_KINDS).includes(k)) });
    const parts = [...(base ? [plan(base)] : []), plan(s)];
    let redisError = '';
    if (s.redis) {
      try {
        redis = await startRedis(tmp, pinning(2).server);
        log(`redis-server ${redis.url} (pid ${redis.pid})`);
      } catch (e) {
        redisError = (e as Error).message.split('\n')[0]!;
        log(redisError);
      }
    }
    const rounds = opt.rounds * (s.repeat ?? 1);
    for (let round = 1; round <= rounds; round++) {
      for (const { x, cells, kinds } of parts) {
        for (const kind of kinds) {
          const cell = (cells[kind] ??= { runs: [], median: {} });
          const key = `${kind}:${x.workers}${x.redis ? ':redis' : ''}${x.pusher ? ':pusher' : ''}${x.app ? ':app' : ''}${x.tableOff ? ':notable' : ''}`;
          if (redisError) broken.set(key, redisError);
          if (broken.has(key)) {
            cell.runs.push({ round, errors: 0, firstError: '', failure: broken.get(key) });
            continue;
          }
          log(`${x.id} round ${round}/${rounds}: ${kind}`);
          await measure(x, kind, round, ctx, gen, opt.quick, cell);
          const last = cell.runs.at(-1);
          if (last?.failure) {
            log(`  ${kind} failed: ${last.failure}`);
            if (!last.metrics) broken.set(key, last.failure);
          } else if (last && last.errors > 0) log(`  ${last.errors} errors, first: ${last.firstError}`);
          if (last?.metrics) log(`  ${Object.entries(last.metrics).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}`);
        }
      }
    }
    for (const { cells, kinds } of parts) for (const kind of kinds) summarize(cells[kind]!);
    await redis?.stop();
    redis = null;
  }
  addScaling(results, opt.scenarios);
  const vs = verdicts(results);
  const took = (performance.now() - t0) / 1000;

  console.log(`\nody benchmark — ${opt.rounds} round(s)${opt.quick ? ', quick' : ''}, medians; ${machineLine(m)}`);
  console.log(table(results, opt.scenarios, opt.servers));
  console.log(targetLines(vs));
  console.log(generatorLines(results, opt.scenarios, opt.servers));
  console.log(`\nwhole run: ${took.toFixed(0)} s`);

  if (opt.save) {
    const dir = join(ROOT, 'docs', 'bench');
    mkdirSync(dir, { recursive: true });
    const settings = { ody_binary: ctx.ody instanceof Error ? `n/a: ${ctx.ody.message}` : ctx.ody, bun_peers: ctx.ody instanceof Error ? process.execPath : 'BUN_BE_BUN=1 <ody_binary>', rounds: opt.rounds, quick: opt.quick, scenarios: opt.scenarios.map((s) => s.id), servers: opt.servers, pinning: { one_worker: pin1, two_workers: pinning(2) }, nice: niced ? -10 : 0, seconds: Math.round(took) };
    const ratios = Object.fromEntries(
      opt.scenarios.map((s) => [s.id, Object.fromEntries(s.rows.filter((m) => m !== (s.compare?.as ?? 'scaling')).map((m) => [m, { 'ody/bun': ratio(results, s.id, m, 'ody', 'bun'), 'ody/ws': ratio(results, s.id, m, 'ody', 'ws'), 'ody/soketi': ratio(results, s.id, m, 'ody', 'soketi') }]))]),
    );
    const scenarios = Object.fromEntries(opt.scenarios.map((s) => [s.id, { title: s.title, unit: s.unit, workers: s.workers, args: s.args(opt.quick), servers: results[s.id], recorded: machineLine(m) }]));
    const ran = new Set<string>(opt.scenarios.map((s) => s.id));
    const saved: Saved = { machine: m, settings, targets: stamp(vs, ran, m), ratios, scenarios };
    // A run of some scenarios replaces theirs in the saved results and keeps the others' (each says which run it is from).
    const merged = opt.partial ? mergeSaved(join(dir, 'results.json'), saved, ran) : saved;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(merged, null, 2) + '\n');
    const runs = recordedLine(merged.targets, machineLine(m));
    const sub = `medians of ${opt.rounds} round(s)${opt.quick ? ' (quick run)' : ''}; same generator (wsgen) for every server`;
    writeFileSync(join(dir, 'results.svg'), chart(merged.targets, runs, sub));
    writeReadmeTable(join(ROOT, 'README.md'), merged.targets, runs);
    log(`wrote docs/bench/results.json, docs/bench/results.svg and the table in README.md${opt.partial ? ' (other scenarios kept from the saved run)' : ''}`);
  }
  rmSync(tmp, { recursive: true, force: true });
}

main().catch(async (e) => {
  await stopAll();
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
