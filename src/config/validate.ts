// Config validation: every key checked, defaults merged, one clear OdyError naming the key and its source.
import { isAbsolute, resolve } from 'node:path';
import { didYouMean, OdyError } from '../errors';
import { EVENT_NAMES } from '../server/events';
import { envSourceOf } from './env';
import { resolveHttpConfig } from './validate-http';
import { defaultAdditional, DEFAULT_SECRET, LOG_LEVELS, type OdyConfig, type ResolvedConfig } from './schema';

const TOP_KEYS = ['host', 'port', 'sockType', 'path', 'ssl', 'callbacks', 'secretKey', 'routes', 'middleware', 'security', 'api', 'additional'] as const;

/** Where a value came from when not the config file itself: CLI flags name themselves here. */
export type Sources = Record<string, string>;

export type Check = (value: unknown) => string | undefined; // returns "expected ..." or undefined when fine

export const isInt = (min: number, max: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `expected a whole number from ${min} to ${max}`;
export const isBool: Check = (v) => (typeof v === 'boolean' ? undefined : 'expected true or false');
export const isString: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'expected a non-empty string');
const isOneOf = (options: readonly string[]): Check => (v) =>
  typeof v === 'string' && options.includes(v) ? undefined : `expected one of ${options.map((o) => `'${o}'`).join(', ')}`;

const ADDITIONAL_CHECKS: Record<string, Check> = {
  workerNum: isInt(1, 256),
  logLevel: isOneOf(LOG_LEVELS),
  logFile: isString,
  maxPayloadLength: isInt(1, 2 ** 31 - 1),
  idleTimeout: isInt(0, 960), // Bun's limit
  sendPings: isBool,
  backpressureLimit: isInt(1, 2 ** 31 - 1),
  closeOnBackpressureLimit: isBool,
  perMessageDeflate: isBool,
  maxConnections: isInt(0, 10_000_000),
  maxConnectionsPerIp: isInt(0, 10_000_000),
  requestLog: isBool,
  pidFile: isString,
  shutdownTimeout: isInt(0, 3600),
};

export function fail(key: string, value: unknown, expected: string, sources: Sources): never {
  const source = sources[key] ?? envSourceOf(value);
  const from = source ? ` (from ${source})` : '';
  throw new OdyError(`config ${key}: ${expected}, got ${show(value)}${from}`, 'E_CONFIG');
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'a value that is not a number';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

export function assertObject(key: string, value: unknown, sources: Sources): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, value, 'expected an object', sources);
}

export function rejectUnknown(prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      const name = prefix ? `${prefix}.${key}` : key;
      throw new OdyError(`config ${name}: unknown key${didYouMean(key, known)}; known keys: ${known.join(', ')}`, 'E_CONFIG');
    }
  }
}

/** Validates a user config (already merged with CLI overrides) and fills in defaults. */
export function resolveConfig(input: unknown, root: string, configFile: string | null, sources: Sources = {}): ResolvedConfig {
  assertObject('(default export)', input ?? {}, sources);
  const raw = (input ?? {}) as Record<string, unknown>;
  rejectUnknown('', raw, TOP_KEYS);
  const user = raw as OdyConfig;

  const host = user.host ?? '127.0.0.1';
  if (isString(host)) fail('host', host, 'expected a host name or IP address', sources);
  const port = user.port ?? 9502;
  if (isInt(0, 65535)(port)) fail('port', port, 'expected a port number from 0 to 65535', sources);
  const sockType = user.sockType ?? 'tcp';
  const sockCheck = isOneOf(['tcp', 'unix'])(sockType);
  if (sockCheck) fail('sockType', sockType, sockCheck, sources);
  const path = user.path ?? '';
  if (typeof path !== 'string') fail('path', path, 'expected a unix socket path', sources);
  if (sockType === 'unix' && !path) fail('path', path, "expected a unix socket path with sockType 'unix'", sources);

  let ssl: ResolvedConfig['ssl'] = null;
  if (user.ssl != null) {
    assertObject('ssl', user.ssl, sources);
    rejectUnknown('ssl', user.ssl, ['certFile', 'keyFile']);
    for (const k of ['certFile', 'keyFile'] as const) if (isString(user.ssl[k])) fail(`ssl.${k}`, user.ssl[k], 'expected a PEM file path', sources);
    ssl = { certFile: resolve(root, user.ssl.certFile), keyFile: resolve(root, user.ssl.keyFile) };
  }

  const secretKey = user.secretKey ?? DEFAULT_SECRET;
  if (typeof secretKey !== 'string' || secretKey.length === 0) fail('secretKey', '(hidden)', 'expected a non-empty string', sources);

  const callbacks = user.callbacks ?? {};
  assertObject('callbacks', callbacks, sources);
  rejectUnknown('callbacks', callbacks, EVENT_NAMES);

  const additional = defaultAdditional();
  if (user.additional !== undefined) {
    assertObject('additional', user.additional, sources);
    rejectUnknown('additional', user.additional, Object.keys(ADDITIONAL_CHECKS));
    for (const [key, value] of Object.entries(user.additional)) {
      if (value === undefined) continue;
      const problem = ADDITIONAL_CHECKS[key]!(value);
      if (problem) fail(`additional.${key}`, value, problem, sources);
      (additional as Record<string, unknown>)[key] = value;
    }
  }
  const inRoot = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  additional.logFile = inRoot(additional.logFile);
  additional.pidFile = inRoot(additional.pidFile);

  const http = resolveHttpConfig(user, sources);
  return { host, port, sockType, path: path ? inRoot(path) : '', ssl, callbacks, secretKey, ...http, additional, root, configFile };
}
