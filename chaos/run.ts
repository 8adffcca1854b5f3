// `bun run chaos [-- --seconds N --clients N --abuse-clients N --presence-clients N --outage-seconds N
// --only workers|abuse|outage]`: the chaos runs against the compiled binary (workers under faults, one anonymous
// client's abuse, then presence under a Redis outage); prints a report and exits non-zero when anything was lost or
// duplicated, a client saw anything but 1001 at stop, RSS grew past the bound, the abuse got through, or a member list
// or a member's webhooks disagree with the API after the outage.
import { ensureBinary } from '../test/helpers/binary';
import { judgeAbuse, runAbuse } from './abuse';
import { judge, RSS_BOUND_MB } from './judge';
import { runChaos } from './lib';
import { judgeOutage, runOutage } from './outage';
import { hasRedis } from '../test/helpers/redis';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const binary = ensureBinary();
const problems: string[] = [];
const runs = (phase: string) => only === undefined || only === phase || (phase === 'workers' && only === 'chaos');
if (runs('workers')) {
  const report = await runChaos({ binary, seconds: arg('seconds', 60), clients: arg('clients', 40), log: (l) => console.error(`  ${l}`) });
  console.log(JSON.stringify(report, null, 2));
  const found = judge(report);
  problems.push(...found);
  console.log(found.length ? `FAIL: ${found.join('; ')}` : `PASS: nothing lost or duplicated over ${report.faults.length} faults; RSS ${report.rssBeforeMb.toFixed(1)} -> ${report.rssAfterMb.toFixed(1)} MB (bound +${RSS_BOUND_MB} MB)`);
}
if (runs('abuse')) {
  const report = await runAbuse({ binary, clients: arg('abuse-clients', 1000), log: (l) => console.error(`  abuse: ${l}`) });
  console.log(JSON.stringify(report, null, 2));
  const found = judgeAbuse(report);
  problems.push(...found);
  console.log(found.length ? `FAIL (abuse): ${found.join('; ')}` : `PASS (abuse): ${report.clients} clients' p99 ${report.p99BeforeMs} ms before, ${report.p99DuringMs} ms during; nothing missed`);
}
// The Redis outage phase: presence under a 10 s outage, with a node started during it (needs redis-server).
if (runs('outage')) {
  if (hasRedis()) {
    const report = await runOutage({ clients: arg('presence-clients', 24), outageMs: arg('outage-seconds', 10) * 1000, log: (l) => console.error(`  ${l}`) });
    console.log(JSON.stringify(report, null, 2));
    const found = judgeOutage(report);
    problems.push(...found);
    console.log(found.length ? `FAIL (outage): ${found.join('; ')}` : `PASS (outage): ${report.clients} presence clients, ${report.churn} joins/leaves, ${report.webhooks} webhooks; every list matches the API, every event was news, every member's webhooks alternate`);
  } else {
    console.log('SKIP (outage): redis-server is not installed');
  }
}
process.exit(problems.length ? 1 : 0);
