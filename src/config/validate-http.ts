// Validation of the HTTP-side config: routes, middleware, security limits and the server API.
import { parsePattern } from '../http/router';
import { defaultApi, defaultSecurity, type OdyConfig, type RateLimitConfig, type ResolvedConfig } from './schema';
import { assertObject, fail, isBool, isInt, isString, rejectUnknown, type Sources } from './validate';

type HttpConfig = Pick<ResolvedConfig, 'routes' | 'middleware' | 'security' | 'api'>;

/** scheme://host[:port] with no path: what browsers send in Origin. */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i;

export function resolveHttpConfig(user: OdyConfig, sources: Sources): HttpConfig {
  return { routes: routes(user.routes, sources), middleware: middleware('middleware', user.middleware, sources), security: security(user.security, sources), api: api(user.api, sources) };
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
  input.forEach((m, i) => typeof m !== 'function' && fail(`${key}[${i}]`, m, 'expected a function (request, next, ctx) => Response', sources));
  return input;
}

function rateLimit(key: string, input: unknown, sources: Sources): RateLimitConfig | false {
  if (input === false) return false;
  assertObject(key, input, sources);
  rejectUnknown(key, input, ['limit', 'windowSeconds']);
  const problem = isInt(1, 1_000_000_000)(input.limit);
  if (problem) fail(`${key}.limit`, input.limit, problem, sources);
  const window = isInt(1, 86_400)(input.windowSeconds);
  if (window) fail(`${key}.windowSeconds`, input.windowSeconds, window, sources);
  return { limit: input.limit as number, windowSeconds: input.windowSeconds as number };
}

function security(input: unknown, sources: Sources): HttpConfig['security'] {
  const out = defaultSecurity();
  if (input === undefined) return out;
  assertObject('security', input, sources);
  rejectUnknown('security', input, Object.keys(out));
  if (input.allowedOrigins !== undefined) {
    const origins = input.allowedOrigins;
    if (!Array.isArray(origins)) fail('security.allowedOrigins', origins, "expected an array of origins like 'https://app.example.com'", sources);
    origins.forEach((o, i) => {
      if (typeof o !== 'string' || !ORIGIN_PATTERN.test(o)) fail(`security.allowedOrigins[${i}]`, o, "expected 'scheme://host[:port]' ('*' wildcards allowed, no path)", sources);
    });
    out.allowedOrigins = origins;
  }
  for (const key of ['handshakeRateLimit', 'httpRateLimit', 'messageRateLimit'] as const) {
    if (input[key] !== undefined) out[key] = rateLimit(`security.${key}`, input[key], sources);
  }
  if (input.trustProxy !== undefined) {
    const problem = isBool(input.trustProxy);
    if (problem) fail('security.trustProxy', input.trustProxy, problem, sources);
    out.trustProxy = input.trustProxy as boolean;
  }
  return out;
}

function api(input: unknown, sources: Sources): HttpConfig['api'] {
  const out = defaultApi();
  if (input === undefined) return out;
  assertObject('api', input, sources);
  rejectUnknown('api', input, Object.keys(out));
  if (input.enabled !== undefined) {
    const problem = isBool(input.enabled);
    if (problem) fail('api.enabled', input.enabled, problem, sources);
    out.enabled = input.enabled as boolean;
  }
  if (input.prefix !== undefined) {
    const prefix = input.prefix;
    if (isString(prefix) || !/^\/[^\s?#]*[^/\s?#]$/.test(prefix as string)) fail('api.prefix', prefix, "expected a path like '/_ody' (leading slash, no trailing slash)", sources);
    out.prefix = prefix as string;
  }
  if (input.maxBodySize !== undefined) {
    const problem = isInt(1, 2 ** 31 - 1)(input.maxBodySize);
    if (problem) fail('api.maxBodySize', input.maxBodySize, problem, sources);
    out.maxBodySize = input.maxBodySize as number;
  }
  return out;
}
