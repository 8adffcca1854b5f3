// Validation of the HTTP-side config: routes, middleware, security limits, the server API, health probes and metrics.
import { parsePattern } from '../http/router';
import { type ApiConfig, defaultApi, defaultHealth, defaultMetrics, defaultSecurity, type HealthConfig, type MetricsConfig, type OdyConfig, type ResolvedConfig, type SecurityConfig } from './schema';
import { assertObject, type Check, fail, isBool, isInt, isString, rejectUnknown, type Sources } from './checks';

type HttpConfig = Pick<ResolvedConfig, 'routes' | 'middleware' | 'security' | 'api' | 'health' | 'metrics'>;

/** Checks one value at `key` (failing with a message naming it, or a nested key) and returns it. */
type Field = (key: string, value: unknown, sources: Sources) => unknown;

const plain = (check: Check): Field => (key, value, sources) => {
  const problem = check(value);
  if (problem) fail(key, value, problem, sources);
  return value;
};

/** scheme://host[:port] with no path: what browsers send in Origin. */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

const origins: Field = (key, value, sources) => {
  if (!Array.isArray(value)) fail(key, value, "expected an array of origins like 'https://app.example.com'", sources);
  value.forEach((origin, i) => {
    if (typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin)) fail(`${key}[${i}]`, origin, "expected 'scheme://host[:port]' ('*' wildcards allowed, no path)", sources);
  });
  return value;
};

const rateLimit: Field = (key, value, sources) => {
  if (value === false) return false;
  assertObject(key, value, sources);
  rejectUnknown(key, value, ['limit', 'windowSeconds']);
  plain(isInt(1, 1_000_000_000))(`${key}.limit`, value.limit, sources);
  plain(isInt(1, 86_400))(`${key}.windowSeconds`, value.windowSeconds, sources);
  return { limit: value.limit, windowSeconds: value.windowSeconds };
};

const isPath = (example: string): Check => (v) => (isString(v) || !/^\/[^\s?#]*[^/\s?#]$/.test(v as string) ? `expected a path like '${example}' (leading slash, no trailing slash)` : undefined);

const SECURITY_FIELDS: Record<keyof SecurityConfig, Field> = {
  allowedOrigins: origins,
  handshakeRateLimit: rateLimit,
  httpRateLimit: rateLimit,
  messageRateLimit: rateLimit,
  trustProxy: plain(isBool),
};

const API_FIELDS: Record<keyof ApiConfig, Field> = { enabled: plain(isBool), prefix: plain(isPath('/_ody')), maxBodySize: plain(isInt(1, 2 ** 31 - 1)) };

const HEALTH_FIELDS: Record<keyof HealthConfig, Field> = { enabled: plain(isBool), path: plain(isPath('/health')), readyPath: plain(isPath('/ready')) };
const METRICS_FIELDS: Record<keyof MetricsConfig, Field> = { enabled: plain(isBool), path: plain(isPath('/metrics')) };

/** An object of known fields over defaults: unknown keys refused, each given field checked. */
function section<T extends object>(name: string, input: unknown, defaults: T, fields: Record<keyof T, Field>, sources: Sources): T {
  if (input === undefined) return defaults;
  assertObject(name, input, sources);
  rejectUnknown(name, input, Object.keys(fields));
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) out[key] = fields[key as keyof T](`${name}.${key}`, value, sources);
  }
  return out as T;
}

export function resolveHttpConfig(user: OdyConfig, sources: Sources): HttpConfig {
  const health = section('health', user.health, defaultHealth(), HEALTH_FIELDS, sources);
  const metrics = section('metrics', user.metrics, defaultMetrics(), METRICS_FIELDS, sources);
  // The probes and metrics are answered before everything else: two of them on one path would hide one.
  if (health.readyPath === health.path) fail('health.readyPath', health.readyPath, 'expected a path other than health.path', sources);
  if (metrics.enabled && health.enabled && [health.path, health.readyPath].includes(metrics.path)) fail('metrics.path', metrics.path, 'expected a path other than the health probes', sources);
  return {
    routes: routes(user.routes, sources),
    middleware: middleware('middleware', user.middleware, sources),
    security: section('security', user.security, defaultSecurity(), SECURITY_FIELDS, sources),
    api: section('api', user.api, defaultApi(), API_FIELDS, sources),
    health,
    metrics,
  };
}

function isCallbackShape(value: unknown): boolean {
  return typeof value === 'function' || (Array.isArray(value) && value.length === 2 && typeof value[1] === 'string');
}

function routes(input: unknown, sources: Sources): HttpConfig['routes'] {
  if (input === undefined) return {};
  assertObject('routes', input, sources);
  for (const [pattern, spec] of Object.entries(input)) {
    const key = `routes['${pattern}']`;
    const parsed = parsePattern(pattern);
    if (typeof parsed === 'string') fail(key, pattern, parsed, sources);
    if (isCallbackShape(spec)) continue;
    assertObject(key, spec, sources);
    rejectUnknown(key, spec, ['handler', 'middleware']);
    if (!isCallbackShape(spec.handler)) fail(`${key}.handler`, spec.handler, "expected [Class, 'method'] or a function", sources);
    middleware(`${key}.middleware`, spec.middleware, sources);
  }
  return input as HttpConfig['routes'];
}

function middleware(key: string, input: unknown, sources: Sources): HttpConfig['middleware'] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) fail(key, input, 'expected an array of middleware functions', sources);
  for (const [i, m] of input.entries()) {
    if (typeof m !== 'function') fail(`${key}[${i}]`, m, 'expected a function (request, next, ctx) => Response', sources);
  }
  return input;
}
