// `ody websocket start`: load the project's config and serve in the foreground until SIGINT/SIGTERM.
import { defineCommand } from 'citty';
import { displayPath, loadConfig } from '../config/load';
import { logger, setLogLevel } from '../log/logger';
import { resolveHooks } from '../server/callbacks';
import { startServer } from '../server/serve';

export const startArgs = {
  host: { type: 'string', description: 'Address to bind (overrides WEBSOCKET_HOST / config host)' },
  port: { type: 'string', description: 'Port to listen on (overrides WEBSOCKET_PORT / config port)' },
  workers: { type: 'string', description: 'Worker processes (overrides additional.workerNum)' },
  config: { type: 'string', description: 'Config file (default: <root>/config/websockets.ts)' },
  root: { type: 'string', description: 'Project root holding config/ and .env (default: current directory)' },
} as const;

export const start = defineCommand({
  meta: { name: 'start', description: 'Start the WebSocket server in the foreground' },
  args: startArgs,
  async run({ args }) {
    const config = await loadConfig({ root: args.root, config: args.config, host: args.host, port: args.port, workers: args.workers });
    setLogLevel(config.additional.logLevel);
    const running = startServer(config, resolveHooks(config.callbacks));
    const source = config.configFile ? displayPath(config, config.configFile) : 'built-in default Server';
    logger.info(`ody listening on ${running.url.href.replace(/\/$/, '')} (pid ${process.pid}, config: ${source})`);
    const shutdown = async (signal: string) => {
      logger.info(`${signal} received: closing ${running.server.count()} connections`);
      await running.stop();
      logger.info('ody stopped');
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  },
});
