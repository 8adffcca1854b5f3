// Reload: load .env, the config and its controllers afresh, then swap config, hooks and pipeline together
// without touching open sockets. What a running socket cannot change refuses the reload, named.
import { resolve } from 'node:path';
import { applyDotEnv, readDotEnv } from '../config/env';
import { loadConfig, type LoadOptions } from '../config/load';
import type { ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { createPipeline, type Pipeline } from '../http/pipeline';
import { setLogLevel } from '../log/logger';
import { resolveHooks, type ResolvedHooks } from './callbacks';
import type { RunningServer } from './serve';

/** Settings fixed when the socket was opened (Bun.serve's listen and websocket options) or the process laid out. */
const RESTART_KEYS = ['host', 'port', 'sockType', 'path', 'ssl', 'adapter', 'apps', 'appsDatabase'] as const;
const RESTART_ADDITIONAL = [
  'workerNum', 'maxPayloadLength', 'idleTimeout', 'sendPings', 'backpressureLimit', 'closeOnBackpressureLimit', 'perMessageDeflate',
  'pidFile', 'logFile', 'logFormat', 'shutdownTimeout',
] as const;

export interface PreparedReload {
  config: ResolvedConfig;
  hooks: ResolvedHooks;
  pipeline: Pipeline;
  /** The fresh .env, put into process.env on commit (prepare leaves the environment as it was). */
  dotEnv: Map<string, string>;
}

/** Changed keys a reload cannot apply, each as `key (old -> new)`. */
export function restartKeys(loaded: ResolvedConfig, current: ResolvedConfig): string[] {
  // A Redis URL may hold a password: never into a log line or a CLI answer.
  const show = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
  const changed: string[] = [];
  const check = (key: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) changed.push(`${key} (${show(b)} -> ${show(a)})`);
  };
  for (const key of RESTART_KEYS) check(key, loaded[key], current[key]);
  for (const key of RESTART_ADDITIONAL) check(`additional.${key}`, loaded.additional[key], current.additional[key]);
  return changed;
}

/**
 * Loads and checks everything new; throws (an OdyError) when it does not load or needs a restart.
 * Nothing the server uses changes here: the environment is put back after the config has read it.
 */
export async function prepareReload(options: LoadOptions, running: RunningServer): Promise<PreparedReload> {
  const { config, dotEnv } = await loadForReload(options, running.server.config);
  const hooks = resolveHooks(config.callbacks);
  const pipeline = createPipeline(config, running.server, running.node, { carried: running.pipeline, readiness: running.readiness });
  return { config, hooks, pipeline, dotEnv };
}

/**
 * The fresh .env and config, checked against `current`: throws when a setting changed that only a restart applies.
 * A cluster's primary runs this too, with the options it was started with: its workers were given the port it
 * claimed as if from --port (so all bind one port), and cannot see a port change themselves.
 */
export async function loadForReload(options: LoadOptions, current: ResolvedConfig): Promise<{ config: ResolvedConfig; dotEnv: Map<string, string> }> {
  const dotEnv = readDotEnv(resolve(options.root ?? process.cwd()));
  const undo = applyDotEnv(dotEnv); // config files call env() while they load
  let config: ResolvedConfig;
  try {
    config = await loadConfig(options);
  } finally {
    undo();
  }
  const changed = restartKeys(config, current);
  if (changed.length > 0) {
    throw new OdyError(`reload refused, nothing was changed: ${changed.join(', ')} only apply on a restart (ody websocket stop, then start)`, 'E_RELOAD');
  }
  return { config, dotEnv };
}

/** Swaps everything prepared in at once: the next request or event on any connection, old or new, sees it. */
export function commitReload(running: RunningServer, prepared: PreparedReload): void {
  applyDotEnv(prepared.dotEnv);
  running.hooks = prepared.hooks;
  running.pipeline = prepared.pipeline;
  running.server.config = prepared.config;
  setLogLevel(prepared.config.additional.logLevel);
}
