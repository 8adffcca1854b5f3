// Reload: load the config and its controllers afresh, then swap the hooks in without touching open sockets.
import { loadConfig, type LoadOptions } from '../config/load';
import type { ResolvedConfig } from '../config/schema';
import { setLogLevel } from '../log/logger';
import { resolveHooks, type ResolvedHooks } from './callbacks';
import type { RunningServer } from './serve';

/** Settings a running Bun.serve cannot change: a reload reports them and keeps the old values. */
const RESTART_KEYS = ['host', 'port', 'sockType', 'path', 'ssl', 'apps'] as const;
const RESTART_ADDITIONAL = ['workerNum', 'maxPayloadLength', 'idleTimeout', 'sendPings', 'backpressureLimit', 'closeOnBackpressureLimit', 'perMessageDeflate', 'pidFile'] as const;

export interface PreparedReload {
  config: ResolvedConfig;
  hooks: ResolvedHooks;
  restartNeeded: string[];
}

/** Loads and checks the new code; throws (an OdyError) if it does not load, leaving everything as it was. */
export async function prepareReload(options: LoadOptions, current: ResolvedConfig): Promise<PreparedReload> {
  const loaded = await loadConfig(options);
  const hooks = resolveHooks(loaded.callbacks);
  const restartNeeded: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const config: ResolvedConfig = { ...loaded, additional: { ...loaded.additional } };
  for (const key of RESTART_KEYS) {
    if (!same(loaded[key], current[key])) restartNeeded.push(key);
    (config as unknown as Record<string, unknown>)[key] = current[key];
  }
  for (const key of RESTART_ADDITIONAL) {
    if (!same(loaded.additional[key], current.additional[key])) restartNeeded.push(`additional.${key}`);
    (config.additional as Record<string, unknown>)[key] = current.additional[key];
  }
  return { config, hooks, restartNeeded };
}

/** Swaps the prepared code in: the next event on any connection, old or new, runs it. */
export function commitReload(running: RunningServer, prepared: PreparedReload): void {
  running.hooks = prepared.hooks;
  running.server.config = prepared.config;
  setLogLevel(prepared.config.additional.logLevel);
}
