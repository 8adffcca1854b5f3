// `ody websocket start`: serve in the foreground (one process or a primary with workers), or detached with -d.
import { defineCommand } from 'citty';
import { daemonize, logCrashes } from '../cluster/daemon';
import { host } from '../cluster/host';
import { refuseIfRunning } from '../cluster/state';
import type { WorkerSpec } from '../cluster/primary';
import { runWorker } from '../cluster/worker';
import { prepareApps } from '../apps/start';
import { loadConfig } from '../config/load';
import { logger, logToFile, setLogFormat, setLogLevel } from '../log/logger';
import { startLines } from './banner';

export const projectArgs = {
  config: { type: 'string', description: 'Config file (default: <root>/config/websockets.ts)' },
  root: { type: 'string', description: 'Project root holding config/ and .env (default: current directory)' },
} as const;

export const start = defineCommand({
  meta: { name: 'start', description: 'Start the WebSocket server (foreground, or -d to detach)' },
  args: {
    host: { type: 'string', description: 'Address to bind (overrides WEBSOCKET_HOST / config host)' },
    port: { type: 'string', description: 'Port to listen on (overrides WEBSOCKET_PORT / config port)' },
    workers: { type: 'string', description: 'Worker processes (overrides additional.workerNum)' },
    ...projectArgs,
    daemon: { type: 'boolean', alias: 'd', description: 'Run in the background: pid file, logs to additional.logFile' },
    watch: { type: 'boolean', description: 'Reload controllers when project files change' },
  },
  async run({ args, rawArgs }) {
    if (process.env.ODY_LOG_FILE) logCrashes(); // daemon and its workers: traces follow the log file across rotations
    if (process.env.ODY_WORKER) return runWorker(JSON.parse(process.env.ODY_WORKER) as WorkerSpec);
    if (process.env.ODY_LOG_FILE) logToFile(process.env.ODY_LOG_FILE);
    const options = { root: args.root, config: args.config, host: args.host, port: args.port, workers: args.workers };
    const config = await loadConfig(options);
    setLogLevel(config.additional.logLevel);
    setLogFormat(config.additional.logFormat);
    await prepareApps(config); // src/apps: Reverb/Soketi env names used; an unreadable apps database -> one line, exit 1
    if (args.daemon && !process.env.ODY_DAEMON) {
      refuseIfRunning(config.additional.pidFile);
      const { pid, url } = await daemonize(config, ['websocket', 'start', ...rawArgs.filter((a) => a !== 'websocket' && a !== 'start')]);
      console.log(`ody started in the background (pid ${pid}) on ${url}; logs: ${config.additional.logFile}`);
      const { info, warn } = startLines(config, url);
      for (const line of [...info, ...warn.map((w) => `warning: ${w}`)]) console.log(`  ${line}`);
      return;
    }
    const announce = (url: string) => {
      const { info, warn } = startLines(config, url);
      for (const line of info) logger.info(line);
      for (const line of warn) logger.warn(line);
    };
    await host(config, options, { watch: args.watch, daemon: Boolean(process.env.ODY_DAEMON), announce });
  },
});
