// `bun run chaos [-- --seconds N --clients N --abuse-clients N --only chaos|abuse]`: the chaos run against the compiled
// binary, then the abuse phase (chaos/abuse.ts); prints a report and exits non-zero when anything was lost or
// duplicated, a client saw anything but 1001 at stop, RSS grew past the bound, or the abuse got through.
import { ensureBinary } from '../test/helpers/binary';
import { judgeAbuse, runAbuse } from './abuse';
import { judge, RSS_BOUND_MB } from './judge';
import { runChaos } from './lib';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const binary = ensureBinary();
const problems: string[] = [];
if (only !== 'abuse') {
  const report = await runChaos({ binary, seconds: arg('seconds', 60), clients: arg('clients', 40), log: (l) => console.error(`  ${l}`) });
  console.log(JSON.stringify(report, null, 2));
  const found = judge(report);
  problems.push(...found);
  console.log(found.length ? `FAIL: ${found.join('; ')}` : `PASS: nothing lost or duplicated over ${report.faults.length} faults; RSS ${report.rssBeforeMb.toFixed(1)} -> ${report.rssAfterMb.toFixed(1)} MB (bound +${RSS_BOUND_MB} MB)`);
}
if (only !== 'chaos') {
  const report = await runAbuse({ binary, clients: arg('abuse-clients', 1000), log: (l) => console.error(`  abuse: ${l}`) });
  console.log(JSON.stringify(report, null, 2));
  const found = judgeAbuse(report);
  problems.push(...found);
  console.log(found.length ? `FAIL (abuse): ${found.join('; ')}` : `PASS (abuse): ${report.clients} clients' p99 ${report.p99BeforeMs} ms before, ${report.p99DuringMs} ms during; nothing missed`);
}
process.exit(problems.length ? 1 : 0);
