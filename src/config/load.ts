// Loads a project's config: .env from the root, then config/websockets.ts (or the embedded default), validated.
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { applyCompatEnv } from '../apps/env-compat';
import { OdyError } from '../errors';
import { defaultConfig } from '../server/default-config';
import { embeddedConfig } from './embedded';
import { loadDotEnv, resetEnvReads } from './env';
import { forgetProjectModules } from './module-cache';
import { assertSafeSecret } from './default-secret';
import type { ResolvedConfig } from './schema';
import { resolveConfig, type Sources } from './validate';

export interface LoadOptions {
  /** Project root; relative paths and .env resolve against it. @default process.cwd() */
  root?: string;
  /** Config file; @default '<root>/config/websockets.ts' (then .js, .mjs) when present */
  config?: string;
  /** CLI overrides, as strings straight from the command line. */
  host?: string;
  port?: string;
  workers?: string;
}

const CANDIDATES = ['config/websockets.ts', 'config/websockets.js', 'config/websockets.mjs'];

export function findConfigFile(root: string, explicit?: string): string | null {
  if (explicit) {
    const file = resolve(root, explicit);
    if (!existsSync(file)) throw new OdyError(`config file not found: ${file}`, 'E_CONFIG_LOAD');
    return file;
  }
  for (const candidate of CANDIDATES) {
    const file = resolve(root, candidate);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Imports a config file afresh: reload needs new code, so the project's cached modules are dropped first. */
export async function importConfig(file: string, root: string, load: () => Promise<{ default?: unknown }> = () => import(file)): Promise<unknown> {
  forgetProjectModules(root);
  let mod: { default?: unknown };
  try {
    mod = await load();
  } catch (error) {
    throw new OdyError(`config ${file} failed to load: ${firstLine(error)}`, 'E_CONFIG_LOAD');
  }
  if (mod.default === undefined) throw new OdyError(`config ${file} has no default export (export default defineConfig({...}))`, 'E_CONFIG_LOAD');
  return mod.default;
}

/** One line for a load failure; for syntax errors, the first one with file:line:column. */
export function firstLine(error: unknown): string {
  // Bun throws an AggregateError of BuildMessages for some parse failures, a single BuildMessage for others.
  type Message = { message?: string; position?: { file?: string; line?: number; column?: number } | null };
  const first = (error as { errors?: Message[] })?.errors?.[0] ?? ((error as Message)?.position ? (error as Message) : undefined);
  if (first?.message) {
    const at = first.position ? ` at ${first.position.file}:${first.position.line}:${first.position.column}` : '';
    return `${first.message}${at}`;
  }
  const text = error instanceof Error ? `${error.message}` : String(error);
  return text.split('\n').find((l) => l.trim()) ?? text;
}

export async function loadConfig(options: LoadOptions = {}): Promise<ResolvedConfig> {
  const root = resolve(options.root ?? process.cwd());
  if (!existsSync(root)) throw new OdyError(`project root not found: ${root}`, 'E_CONFIG_LOAD');
  loadDotEnv(root);
  applyCompatEnv(); // Reverb's and Soketi's env names fill ody's unset ones (src/apps/env-compat.ts)
  resetEnvReads();
  // An app binary runs the config built into it, unless --config names another.
  const embedded = options.config === undefined ? embeddedConfig() : undefined;
  const file = embedded ? resolve(root, `${embedded.name} (embedded)`) : findConfigFile(root, options.config);
  const raw = embedded ? await importConfig(file!, root, embedded.load) : file ? await importConfig(file, root) : defaultConfig();
  const merged = { ...(raw as Record<string, unknown>) };
  const sources: Sources = {};
  if (options.host !== undefined) {
    merged.host = options.host;
    sources.host = '--host';
  }
  if (options.port !== undefined) {
    merged.port = options.port.trim() === '' ? Number.NaN : Number(options.port);
    sources.port = '--port';
  }
  if (options.workers !== undefined) {
    merged.additional = { ...(merged.additional as object), workerNum: Number(options.workers) };
    sources['additional.workerNum'] = '--workers';
  }
  const config = resolveConfig(merged, root, file, sources);
  assertSafeSecret(config);
  return config;
}

/** Path relative to the root for log lines, absolute when outside it. */
export function displayPath(config: ResolvedConfig, file: string): string {
  const rel = relative(config.root, file);
  return rel.startsWith('..') ? file : rel;
}
