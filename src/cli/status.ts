// `ody websocket status`: running or not, pids, uptime, workers, connections, messages in/out.
import { defineCommand } from 'citty';
import { control, type StatusReport } from '../cluster/control';
import { findServer } from '../cluster/state';
import { pidFileFor } from './project';
import { projectArgs } from './start';

/** LSB's "program is not running" status code. */
const NOT_RUNNING = 3;

/** What `status` exits with, as its --help lists them (LSB init-script conventions, which systemd follows too). */
export const STATUS_EXIT_CODES: [number, string][] = [
  [0, 'the server is running (its status is printed)'],
  [1, 'the status could not be read (the server did not answer, or another error)'],
  [2, 'the command line is wrong (an unknown option)'],
  [NOT_RUNNING, 'no server is running: no pid file, or a stale one'],
];

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor((s % 86400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([n], i) => n > 0 || i === 3).map(([n, u]) => `${n}${u}`).join(' ');
}

export const status = defineCommand({
  meta: { name: 'status', description: 'Show whether the server runs, with pids, uptime and counters' },
  args: { ...projectArgs, json: { type: 'boolean', description: 'Print JSON' } },
  async run({ args }) {
    const { pidFile } = await pidFileFor(args);
    const found = findServer(pidFile);
    if (found.kind !== 'running') {
      const why = found.kind === 'stale' ? `stale pid file: ${found.reason}` : `no pid file at ${pidFile}`;
      if (args.json) console.log(JSON.stringify({ running: false, reason: why }));
      else console.log(`ody is not running (${why})`);
      process.exitCode = NOT_RUNNING;
      return;
    }
    const report = await control<StatusReport>(found.state.control, 'GET', '/status', 5_000);
    if (args.json) {
      console.log(JSON.stringify({ running: true, ...report }, null, 2));
      return;
    }
    const lines = [
      `ody is running on ${report.url}`,
      `  pid          ${report.pid}${report.workers.length ? ` (primary)` : ''}`,
      `  uptime       ${duration(report.uptimeMs)}`,
      `  connections  ${report.connections}`,
      `  messages     ${report.messagesIn} in, ${report.messagesOut} out`,
    ];
    for (const w of report.workers) lines.push(`  worker ${w.index}     pid ${w.pid}, ${w.state}, ${w.connections} connections, ${w.restarts} restarts`);
    console.log(lines.join('\n'));
  },
});
