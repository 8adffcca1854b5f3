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
import { commitReload, prepareReload } from '../server/reload';
import { Node } from '../server/node';
import { startServer } from '../server/serve';
import { createAdapter } from '../adapters';
import { type ControlHandlers, type ReloadResult, serveControl } from './control';
import { Primary } from './primary';
import { controlPath, findServer, processStartTime, removeState, writeState } from './state';

interface Instance extends ControlHandlers {
  url: string;
  workerPids(): number[];
  stop(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

async function single(config: ResolvedConfig, options: LoadOptions): Promise<Instance> {
  const node = new Node(createAdapter(config));
  await node.adapter.start(node);
  const running = startServer(config, resolveHooks(config.callbacks), { node });
  const startedAt = Date.now();
  return {
    url: running.url.href.replace(/\/$/, ''),
    workerPids: () => [],
    stop: () => running.stop(),
    signal: () => {},
    status: () => {
      const s = node.stats();
      return { pid: process.pid, url: running.url.href, uptimeMs: Date.now() - startedAt, connections: s.connections, messagesIn: s.messagesIn, messagesOut: s.messagesOut, workers: [] };
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

async function cluster(config: ResolvedConfig, options: LoadOptions): Promise<Instance> {
  setLogProcess('primary');
  const port = config.sockType === 'tcp' ? claimPort(config) : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = config.sockType === 'unix' ? `ws+unix://${config.path}` : `${config.ssl ? 'wss' : 'ws'}://${host}:${port}`;
  const primary = new Primary(config, { ...options, port: String(port) }, url);
  await primary.start();
  const reloadAll = primary.reload.bind(primary);
  return Object.assign(primary, {
    url,
    reload: async () => {
      const result = await reloadAll();
      if (!result.ok) throw new OdyError(result.error ?? 'reload failed', 'E_RELOAD');
      return result;
    },
  });
}

export async function host(config: ResolvedConfig, options: LoadOptions, flags: { watch?: boolean; daemon?: boolean }): Promise<void> {
  const pidFile = config.additional.pidFile;
  const found = findServer(pidFile);
  if (found.kind === 'running') throw new OdyError(`ody is already running for this project (pid ${found.state.pid}, ${found.state.url}); stop it first: ody websocket stop`, 'E_RUNNING');
  if (found.kind === 'stale') logger.warn(`ignoring stale pid file: ${found.reason}`);

  const instance = config.additional.workerNum > 1 ? await cluster(config, options) : await single(config, options);
  const control = controlPath(pidFile);
  let reloading: Promise<ReloadResult> | undefined;
  let stopping = false;
  const reload = async (why: string): Promise<ReloadResult> => {
    reloading ??= instance.reload().then(
      (result) => {
        logger.info(`reloaded (${why})`);
        return result;
      },
      (error) => {
        logger.error(`reload (${why}) failed, the previous code keeps serving: ${(error as Error).message}`);
        return { ok: false, error: (error as Error).message };
      },
    ).finally(() => (reloading = undefined));
    return reloading;
  };
  const controlServer = serveControl(control, { status: () => instance.status(), reload: () => reload('ody websocket reload') });
  const startedAt = Date.now();
  const saveState = () =>
    writeState(pidFile, {
      pid: process.pid, startTime: processStartTime(process.pid) ?? '', workers: instance.workerPids(), url: instance.url, root: config.root,
      configFile: config.configFile, control, startedAt, version: pkg.version, daemon: Boolean(flags.daemon),
    });
  saveState();
  if (instance instanceof Primary) {
    instance.onWorkersChanged = () => !stopping && saveState();
    instance.onAllFailed = () => void shutdown('all workers failed', 1);
  }

  const source = config.configFile ? displayPath(config, config.configFile) : 'built-in default Server';
  const workers = config.additional.workerNum > 1 ? `, ${config.additional.workerNum} workers` : '';
  logger.info(`ody listening on ${instance.url} (pid ${process.pid}${workers}, config: ${source})`);
  if (flags.watch) watchProject(config, () => void reload('file change'));

  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing connections`);
    await instance.stop();
    controlServer.stop(true);
    rmSync(control, { force: true });
    removeState(pidFile);
    logger.info('ody stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void reload('SIGHUP'));
  process.on('SIGUSR2', () => {
    reopenLogFile();
    instance.signal('SIGUSR2');
  });
  process.send?.({ t: 'ready', url: instance.url, pid: process.pid });
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
