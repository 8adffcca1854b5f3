// A worker process: serves its share of connections on the shared port and talks to the primary over IPC.
import { loadConfig } from '../config/load';
import { describeError, logger, logToFile, reopenLogFile, setLogLevel, setLogProcess } from '../log/logger';
import { resolveHooks } from '../server/callbacks';
import { commitReload, type PreparedReload, prepareReload } from '../server/reload';
import { startServer } from '../server/serve';
import type { Control, Reply, ToPrimary, ToWorker } from './messages';
import { Peers } from './peers';
import type { WorkerSpec } from './primary';

export async function runWorker(spec: WorkerSpec): Promise<void> {
  const send = (message: ToPrimary) => process.send?.(message);
  setLogProcess(`worker ${spec.index}`);
  if (process.env.ODY_LOG_FILE) logToFile(process.env.ODY_LOG_FILE);
  let running: ReturnType<typeof startServer>;
  let peers: Peers;
  // Before anything slow (a signal with no handler kills). systemd sends SIGTERM to every process at once and the
  // primary forwards one more: stop once. SIGINT/SIGHUP from a terminal reach the whole group: the primary decides.
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= (async () => {
    peers?.stop();
    await running?.stop();
    process.exit(0);
  })());
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGUSR2', () => reopenLogFile());
  try {
    const config = await loadConfig(spec.options);
    setLogLevel(config.additional.logLevel);
    running = startServer(config, resolveHooks(config.callbacks), { worker: spec.index, fdStart: spec.fdStart, fdStep: spec.count, reusePort: true });
    peers = new Peers(running.server, send);
    running.server.link = peers;
  } catch (error) {
    send({ t: 'fatal', error: (error as Error).message });
    await Bun.sleep(50); // let the message leave before exiting
    process.exit(1);
  }

  let prepared: PreparedReload | undefined;
  async function control(message: Control): Promise<Reply> {
    const reply: Reply = { t: 'reply', id: message.id, ok: true };
    switch (message.op) {
      case 'reload-prepare':
        try {
          prepared = await prepareReload(spec.options, running);
          reply.restartNeeded = prepared.restartNeeded;
        } catch (error) {
          prepared = undefined;
          return { ...reply, ok: false, error: (error as Error).message };
        }
        return reply;
      case 'reload-commit':
        if (!prepared) return { ...reply, ok: false, error: 'nothing prepared to commit' };
        commitReload(running, prepared);
        prepared = undefined;
        logger.info('reloaded: new code serves every connection from the next event on');
        return reply;
      case 'reload-abort':
        prepared = undefined;
        return reply;
      case 'stats':
        return { ...reply, stats: running.server.localStats() };
    }
  }

  process.on('message', (message: ToWorker) => {
    if (message.t === 'control') void control(message).then(send, (error) => send({ t: 'reply', id: message.id, ok: false, error: describeError(error) }));
    else peers.apply(message);
  });

  // No primary, no cluster: never linger as an orphan.
  process.once('disconnect', () => void shutdown());

  peers.start();
  send({ t: 'ready', url: running.url.href });
}
