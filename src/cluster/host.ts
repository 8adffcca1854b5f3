// Runs a server for `ody websocket start`: one process, or a primary with workers; owns the pid file,
// the control socket, signals (TERM/INT stop, HUP reload, USR2 reopen logs) and --watch.
import { rmSync, watch } from 'node:fs';
import { relative } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { displayPath, type LoadOptions } from '../config/load';
import type { ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { describeError, logger, reopenLogFile, setLogProcess } from '../log/logger';
import { resolveHooks } from '../server/callbacks';
import { commitReload, loadForReload, prepareReload } from '../server/reload';
import { Machine } from '../connections/machine';
import { Node } from '../server/node';
import { startServer } from '../server/serve';
import { createAdapter } from '../adapters';
import { type ControlHandlers, type ReloadResult, serveControl } from './control';
import { Primary } from './primary';
import { acquireLock, controlPath, findServer, lockPort, processStartTime, removeState, writeState } from './state';
import { prepareUnixSocket } from './unix-socket';

interface Instance extends ControlHandlers {
  url: string;
  workerPids(): number[];
  stop(): Promise<void>;
}

async function single(config: ResolvedConfig, options: LoadOptions): Promise<Instance> {
  const node = new Node(createAdapter(config), 0, process.pid, Machine.alone(config.additional.table));
  await node.adapter.start(node);
  const running = startServer(config, resolveHooks(config.callbacks), { node });
  const startedAt = Date.now();
  const url = running.url.href.replace(/\/$/, ''); // as a cluster's: ws://host:port, no path
  return {
    url,
    workerPids: () => [],
    stop: () => running.stop(),
    status: () => {
      const s = node.stats();
      return { pid: process.pid, url, uptimeMs: Date.now() - startedAt, connections: s.connections, messagesIn: s.messagesIn, messagesOut: s.messagesOut, workers: [] };
    },
    async reload(): Promise<ReloadResult> {
      commitReload(running, await prepareReload(options, running));
      return { ok: true };
    },
  };
}

/** Picks the port before the workers bind with reusePort: a busy port fails here (reusePort would share it), port 0 becomes one real port. */
function claimPort(config: ResolvedConfig): number {
  try {
    const probe = Bun.listen({ hostname: config.host, port: config.port, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    return port;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'address already in use (is another server running? try another --port)' : describeError(error);
    throw new OdyError(`cannot listen on ${config.host}:${config.port}: ${why}`, 'E_LISTEN');
  }
}

/** How long a start waits for another ody starting on the same port: longer than a primary's worker startup (20 s). */
const START_WAIT_MS = 30_000;

/** Spawns the workers; `early` gets the primary before they are ready, so signals can reach it during startup. */
async function cluster(config: ResolvedConfig, options: LoadOptions, early: (primary: Primary) => void): Promise<Instance> {
  setLogProcess('primary');
  // A fixed port stays locked machine-wide until the workers listen on it (see lockPort); port 0 gets a fresh port.
  const release = config.sockType === 'tcp' && config.port > 0 ? await lockPort(config.host, config.port, START_WAIT_MS) : () => {};
  try {
    return await startCluster(config, options, early);
  } finally {
    release();
  }
}

async function startCluster(config: ResolvedConfig, options: LoadOptions, early: (primary: Primary) => void): Promise<Instance> {
  const port = config.sockType === 'tcp' ? claimPort(config) : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = config.sockType === 'unix' ? `ws+unix://${config.path}` : `${config.ssl ? 'wss' : 'ws'}://${host}:${port}`;
  const primary = new Primary(config, { ...options, port: String(port) }, url);
  early(primary);
  await primary.start();
  const reloadAll = primary.reload.bind(primary);
  return Object.assign(primary, {
    url,
    reload: async () => {
      await loadForReload(options, config); // the workers cannot see every restart-only change (the port): refused here
      const result = await reloadAll();
      if (!result.ok) throw new OdyError(result.error ?? 'reload failed', 'E_RELOAD');
      return result;
    },
  });
}

/** Serves until stopped; resolves with the URL once it accepts connections. */
/**
 * `flags.announce`: what to log under the "listening" line (the CLI's banner). It is written before a daemon reports
 * ready, so `start -d` returns with the server's whole start-up in its log.
 */
export async function host(config: ResolvedConfig, options: LoadOptions, flags: { watch?: boolean; daemon?: boolean; announce?: (url: string) => void }): Promise<string> {
  const pidFile = config.additional.pidFile;
  const control = controlPath(pidFile);
  let instance: Instance | undefined;
  let primary: Primary | undefined;
  const started = Promise.withResolvers<Instance>();
  started.promise.catch(() => {}); // a failed start is reported by the caller; a pending stop just ends

  // Handlers before anything slow: a signal that finds none kills with its default action. systemd
  // (KillMode=control-group) sends SIGTERM to every process of the unit at once; a closed terminal sends
  // SIGHUP to the whole foreground group; logrotate's SIGUSR2 may come while workers start.
  let stopping: Promise<void> | undefined;
  let controlServer: ReturnType<typeof serveControl> | undefined;
  const shutdown = (signal: string, exitCode = 0) => {
    stopping ??= (async () => {
      logger.info(`${signal}: closing connections`);
      const running = await started.promise.catch(() => undefined); // a start in progress finishes first
      await running?.stop();
      controlServer?.stop(true);
      if (controlServer) rmSync(control, { force: true });
      if (running) removeState(pidFile);
      releaseLock();
      logger.info('ody stopped');
      process.exit(exitCode);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT received'));
  process.on('SIGTERM', () => shutdown('SIGTERM received'));
  process.on('SIGHUP', () => (instance ? void reload('SIGHUP') : logger.warn('SIGHUP during startup: nothing to reload yet')));
  process.on('SIGUSR2', () => {
    reopenLogFile();
    primary?.signal('SIGUSR2');
  });

  const releaseLock = acquireLock(pidFile); // before the pid file is read: of two starts at once, one wins
  process.once('exit', releaseLock); // startup failures and crashes too; a SIGKILLed owner is detected by pid
  const found = findServer(pidFile);
  if (found.kind === 'stale') logger.warn(`ignoring stale pid file: ${found.reason}`);
  if (config.sockType === 'unix') await prepareUnixSocket(config.path);

  try {
    instance = config.additional.workerNum > 1 ? await cluster(config, options, (p) => (primary = p)) : await single(config, options);
  } catch (error) {
    started.reject(error);
    throw error;
  }
  const running = instance;

  let reloading: Promise<ReloadResult> | undefined;
  let again: Promise<ReloadResult> | undefined;
  const runReload = (why: string): Promise<ReloadResult> =>
    running.reload().then(
      (result) => {
        logger.info(`reloaded (${why})`);
        return result;
      },
      (error) => {
        logger.error(`reload (${why}) failed, the previous code keeps serving: ${(error as Error).message}`);
        return { ok: false, error: (error as Error).message };
      },
    );
  const reload = (why: string): Promise<ReloadResult> => {
    if (reloading) {
      // The reload under way may have read the files before this change: one more after it, shared by every request meanwhile.
      if (!again) logger.debug(`reload requested (${why}) while one runs: another follows it`);
      again ??= reloading.then(() => {
        again = undefined;
        return reload(why);
      });
      return again;
    }
    reloading = runReload(why).finally(() => (reloading = undefined));
    return reloading;
  };
  controlServer = serveControl(control, { status: () => running.status(), reload: () => reload('ody websocket reload') });
  const startedAt = Date.now();
  const saveState = () =>
    writeState(pidFile, {
      pid: process.pid, startTime: processStartTime(process.pid) ?? '', workers: running.workerPids(), url: running.url, root: config.root,
      configFile: config.configFile, control, startedAt, version: pkg.version, daemon: Boolean(flags.daemon),
    });
  saveState();
  if (running instanceof Primary) {
    running.onWorkersChanged = () => !stopping && saveState();
    running.onAllFailed = () => shutdown('every worker failed', 1);
  }

  const source = config.configFile ? displayPath(config, config.configFile) : 'built-in default Server';
  const workers = config.additional.workerNum > 1 ? `, ${config.additional.workerNum} workers` : '';
  logger.info(`ody listening on ${running.url} (pid ${process.pid}${workers}, config: ${source})`);
  flags.announce?.(running.url);
  if (flags.watch) watchProject(config, () => void reload('file change'));
  started.resolve(running);
  process.send?.({ t: 'ready', url: running.url, pid: process.pid });
  return running.url;
}

const WATCHED = /\.(ts|tsx|js|mjs|cjs|json)$|(^|\/)\.env$/;
const IGNORED = /(^|\/)(node_modules|storage|dist|\.git)(\/|$)/;

function watchProject(config: ResolvedConfig, onChange: () => void): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  watch(config.root, { recursive: true }, (_event, name) => {
    if (!name || IGNORED.test(name) || !WATCHED.test(name)) return;
    logger.debug(`changed: ${relative(config.root, `${config.root}/${name}`)}`);
    clearTimeout(timer);
    timer = setTimeout(onChange, 200); // editors write in bursts
  });
  logger.info(`watching ${config.root} for changes`);
}
