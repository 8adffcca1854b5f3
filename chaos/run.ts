// `bun run chaos [-- --seconds N --clients N]`: the chaos run against the compiled binary; prints a report and exits
// non-zero when anything was lost or duplicated, a client saw anything but 1001 at stop, or RSS grew past the bound.
import { ensureBinary } from '../test/helpers/binary';
import { judge, RSS_BOUND_MB } from './judge';
import { runChaos } from './lib';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const report = await runChaos({ binary: ensureBinary(), seconds: arg('seconds', 60), clients: arg('clients', 40), log: (l) => console.error(`  ${l}`) });
console.log(JSON.stringify(report, null, 2));
const problems = judge(report);
console.log(problems.length ? `FAIL: ${problems.join('; ')}` : `PASS: nothing lost or duplicated over ${report.faults.length} faults; RSS ${report.rssBeforeMb.toFixed(1)} -> ${report.rssAfterMb.toFixed(1)} MB (bound +${RSS_BOUND_MB} MB)`);
process.exit(problems.length ? 1 : 0);
