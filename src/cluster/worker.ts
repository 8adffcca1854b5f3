// A worker process: serves its share of connections on the shared port; reaches the other workers through its
// adapter (ipc through the primary, or redis), and answers the primary's control requests.
import { createAdapter } from '../adapters';
import { ALIVE_MS, IpcAdapter } from '../adapters/ipc';
import { loadConfig } from '../config/load';
import { describeError, logger, logToFile, reopenLogFile, setLogLevel, setLogProcess } from '../log/logger';
import { resolveHooks } from '../server/callbacks';
import { Machine } from '../connections/machine';
import { Node } from '../server/node';
import { commitReload, type PreparedReload, prepareReload } from '../server/reload';
import { startServer } from '../server/serve';
import type { Control, Reply, ToPrimary, ToWorker } from './messages';
import type { WorkerSpec } from './primary';

export async function runWorker(spec: WorkerSpec): Promise<void> {
  const send = (message: ToPrimary) => process.send?.(message);
  setLogProcess(`worker ${spec.index}`);
  if (process.env.ODY_LOG_FILE) logToFile(process.env.ODY_LOG_FILE);
  let running: ReturnType<typeof startServer> | undefined;
  let node: Node;
  // Messages can arrive while the adapter starts (the primary's welcome among them): route them from the first one.
  let ipc: IpcAdapter | undefined;
  let prepared: PreparedReload | undefined;
  process.on('message', (message: ToWorker) => {
    if (message.t === 'control') void control(message).then(send, (error) => send({ t: 'reply', id: message.id, ok: false, error: describeError(error) }));
    else ipc?.fromPrimary(message);
  });
  // The primary's watchdog: a worker that stops saying this (busy loop, SIGSTOP) is killed and restarted.
  const alive = setInterval(() => send({ t: 'alive', rx: ipc?.received ?? 0 }), ALIVE_MS);
  // Before anything slow (a signal with no handler kills). systemd sends SIGTERM to every process at once and the
  // primary forwards one more: stop once. SIGINT/SIGHUP from a terminal reach the whole group: the primary decides.
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= (async () => {
    clearInterval(alive);
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
    const adapter = createAdapter(config, { node: spec.node, post: send });
    if (adapter instanceof IpcAdapter) ipc = adapter;
    const machine = Machine.attach(spec.machine, spec.index);
    node = new Node(adapter, spec.index, process.ppid, machine);
    await adapter.start(node);
    machine.connections?.setNode(spec.index, node.id); // fds this worker hands out are the machine's from now on
    running = startServer(config, resolveHooks(config.callbacks), { node, reusePort: true });
  } catch (error) {
    send({ t: 'fatal', error: (error as Error).message });
    await Bun.sleep(50); // let the message leave before exiting
    process.exit(1);
  }

  async function control(message: Control): Promise<Reply> {
    const reply: Reply = { t: 'reply', id: message.id, ok: true };
    switch (message.op) {
      case 'reload-prepare':
        try {
          prepared = await prepareReload(spec.options, running!); // control requests come only after ready
        } catch (error) {
          prepared = undefined;
          return { ...reply, ok: false, error: (error as Error).message };
        }
        return reply;
      case 'reload-commit': {
        if (!prepared) return { ...reply, ok: false, error: 'nothing prepared to commit' };
        commitReload(running!, prepared);
        logger.info('reloaded: new code serves every connection from the next event on');
        const { logLevel } = prepared.config.additional;
        prepared = undefined;
        return { ...reply, logLevel };
      }
      case 'reload-abort':
        prepared = undefined;
        return reply;
      case 'stats':
        return { ...reply, stats: node.stats() };
    }
  }

  // No primary, no cluster: never linger as an orphan.
  process.once('disconnect', () => void shutdown());

  send({ t: 'ready', url: running!.url.href });
}
