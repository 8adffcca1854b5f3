// `bun run chaos [-- --seconds N --clients N --presence-clients N --outage-seconds N --only workers|outage]`: the chaos
// runs against the compiled binary (workers under faults, then presence under a Redis outage); prints a report and
// exits non-zero when anything was lost or duplicated, a client saw anything but 1001 at stop, RSS grew past the
// bound, or a member list or a member's webhooks disagree with the API after the outage.
import { ensureBinary } from '../test/helpers/binary';
import { judge, RSS_BOUND_MB } from './judge';
import { runChaos } from './lib';
import { judgeOutage, runOutage } from './outage';
import { hasRedis } from '../test/helpers/redis';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
let failed = false;
if (only !== 'outage') {
  const report = await runChaos({ binary: ensureBinary(), seconds: arg('seconds', 60), clients: arg('clients', 40), log: (l) => console.error(`  ${l}`) });
  console.log(JSON.stringify(report, null, 2));
  const problems = judge(report);
  console.log(problems.length ? `FAIL: ${problems.join('; ')}` : `PASS: nothing lost or duplicated over ${report.faults.length} faults; RSS ${report.rssBeforeMb.toFixed(1)} -> ${report.rssAfterMb.toFixed(1)} MB (bound +${RSS_BOUND_MB} MB)`);
  failed ||= problems.length > 0;
}
// The Redis outage phase: presence under a 10 s outage, with a node started during it (needs redis-server).
if (only !== 'workers') {
  if (hasRedis()) {
    ensureBinary();
    const report = await runOutage({ clients: arg('presence-clients', 24), outageMs: arg('outage-seconds', 10) * 1000, log: (l) => console.error(`  ${l}`) });
    console.log(JSON.stringify(report, null, 2));
    const problems = judgeOutage(report);
    console.log(problems.length ? `FAIL (outage): ${problems.join('; ')}` : `PASS (outage): ${report.clients} presence clients, ${report.churn} joins/leaves, ${report.webhooks} webhooks; every list matches the API, every event was news, every member's webhooks alternate`);
    failed ||= problems.length > 0;
  } else {
    console.log('SKIP (outage): redis-server is not installed');
  }
}
process.exit(failed ? 1 : 0);
