// Config validation: every key checked, defaults merged, one clear OdyError naming the key and its source.
import { isAbsolute, resolve } from 'node:path';
import { resolveAppsDatabase } from '../apps/config';
import { EVENT_NAMES } from '../server/events';
import { assertObject, type Check, fail, isBool, isInt, isOneOf, isString, rejectUnknown, type Sources } from './checks';
import { resolveApps } from './validate-apps';
import { resolveHttpConfig } from './validate-http';
import { defaultAdapter, defaultAdditional, DEFAULT_SECRET, LOG_FORMATS, LOG_LEVELS, type OdyConfig, type ResolvedConfig } from './schema';

export type { Sources } from './checks';

const TOP_KEYS = ['host', 'port', 'sockType', 'path', 'ssl', 'callbacks', 'secretKey', 'routes', 'middleware', 'security', 'api', 'health', 'metrics', 'adapter', 'apps', 'additional'] as const;

const ADAPTER_CHECKS: Record<string, Check> = {
  driver: isOneOf(['memory', 'redis']),
  url: (v) => (typeof v === 'string' && /^rediss?:\/\/[^\s]+$/.test(v) ? undefined : "expected a URL like 'redis://127.0.0.1:6379'"),
  prefix: (v) => (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? undefined : 'expected 1-64 letters, digits or _ . : -'),
  requestTimeout: isInt(10, 60_000),
};

const ADDITIONAL_CHECKS: Record<string, Check> = {
  workerNum: isInt(1, 256),
  logLevel: isOneOf(LOG_LEVELS),
  logFile: isString,
  logFormat: isOneOf(LOG_FORMATS),
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
  table: () => undefined, // checked key by key below
};

const TABLE_CHECKS: Record<string, Check> = {
  connections: (v) => (v === 0 || (!isInt(64, 2 ** 24)(v) && ((v as number) & ((v as number) - 1)) === 0) ? undefined : 'expected 0 (off) or a power of two from 64 to 16777216'),
  rows: isInt(1, 2 ** 24),
  rowBytes: isInt(16, 65_536),
};

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

  const additional = section('additional', user.additional, defaultAdditional(), ADDITIONAL_CHECKS, sources);
  additional.table = section('additional.table', user.additional?.table, { ...defaultAdditional().table }, TABLE_CHECKS, sources);
  const adapter = section('adapter', user.adapter, defaultAdapter(), ADAPTER_CHECKS, sources);
  // SO_REUSEPORT does not apply to unix sockets: only one process can listen on the path.
  if (sockType === 'unix') {
    if (user.additional?.workerNum !== undefined && additional.workerNum !== 1) {
      fail('additional.workerNum', additional.workerNum, "expected 1 with sockType 'unix' (unix sockets cannot be shared between worker processes)", sources);
    }
    additional.workerNum = 1;
  }
  const inRoot = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  additional.logFile = inRoot(additional.logFile);
  additional.pidFile = inRoot(additional.pidFile);

  const http = resolveHttpConfig(user, sources);
  const apps = resolveApps(user.apps, sources);
  const appsDatabase = resolveAppsDatabase(user.apps, root, sources); // src/apps: apps from postgres or sqlite
  return { host, port, sockType, path: path ? inRoot(path) : '', ssl, callbacks, secretKey, ...http, adapter, apps, appsDatabase, additional, root, configFile };
}

/** A section of plain keys, each with its check, over its defaults. */
function section<T extends object>(name: string, value: unknown, defaults: T, checks: Record<string, Check>, sources: Sources): T {
  if (value === undefined) return defaults;
  assertObject(name, value, sources);
  rejectUnknown(name, value, Object.keys(checks));
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const problem = checks[key]!(v);
    if (problem) fail(`${name}.${key}`, v, problem, sources);
    (defaults as Record<string, unknown>)[key] = v;
  }
  return defaults;
}
