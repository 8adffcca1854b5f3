// Validation of `apps` (the Pusher-protocol apps): every key checked, ids and keys unique, secrets never shown.
import { defaultApp, type ResolvedApp, WEBHOOK_EVENTS } from './schema';
import { isAppsDatabase } from '../apps/config';
import { assertObject, type Check, fail, isBool, isInt, isString, rejectUnknown, type Sources } from './checks';

/** Ids and keys appear in URLs (/app/{key}, /apps/{id}): keep them to characters that need no escaping. */
const isName: Check = (v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(v) ? undefined : 'expected 1-128 letters, digits or _ . -');

const LIMIT_CHECKS: Record<string, Check> = {
  clientEvents: isBool,
  clientEventsPerSecond: isInt(1, 10_000),
  maxChannelNameLength: isInt(1, 1024),
  maxEventSize: isInt(1, 16 * 1024 * 1024),
  maxChannelsPerConnection: isInt(1, 100_000),
  messagesPerSecond: isInt(0, 1_000_000),
  maxPresenceMembers: isInt(1, 100_000),
  maxUserInfoSize: isInt(2, 1024 * 1024),
  subscriptionCount: isBool,
  activityTimeout: isInt(1, 3600),
  // per-app limits (src/apps/limits.ts)
  enabled: isBool,
  maxConnections: isInt(0, 100_000_000),
  maxBackendEventsPerSecond: isInt(0, 1_000_000),
  maxClientEventsPerSecond: isInt(0, 1_000_000),
  maxReadRequestsPerSecond: isInt(0, 1_000_000),
  allowedOrigins: (v) => (Array.isArray(v) && v.every((o) => typeof o === 'string' && o.length > 0) ? undefined : "expected an array of origins like 'https://*.example.com'"),
};

const APP_KEYS = ['id', 'key', 'secret', 'webhooks', ...Object.keys(LIMIT_CHECKS)];

export function resolveApps(input: unknown, sources: Sources): ResolvedApp[] {
  if (input === undefined || isAppsDatabase(input)) return []; // a database: src/apps/config.ts checks it
  if (!Array.isArray(input)) fail('apps', input, "expected an array of { id, key, secret } or { driver: 'postgres' | 'sqlite', … }", sources);
  const seen = { id: new Set<string>(), key: new Set<string>() };
  return input.map((raw, i) => {
    const at = `apps[${i}]`;
    assertObject(at, raw, sources);
    rejectUnknown(at, raw, APP_KEYS);
    for (const k of ['id', 'key'] as const) {
      const problem = isName(raw[k]);
      if (problem) fail(`${at}.${k}`, raw[k], problem, sources);
      if (seen[k].has(raw[k] as string)) fail(`${at}.${k}`, raw[k], `expected a unique ${k}`, sources);
      seen[k].add(raw[k] as string);
    }
    if (isString(raw.secret)) fail(`${at}.secret`, '(hidden)', 'expected a non-empty string', sources);
    const app = { ...defaultApp(), id: raw.id as string, key: raw.key as string, secret: raw.secret as string } as ResolvedApp;
    for (const [k, check] of Object.entries(LIMIT_CHECKS)) {
      if (raw[k] === undefined) continue;
      const problem = check(raw[k]);
      if (problem) fail(`${at}.${k}`, raw[k], problem, sources);
      (app as unknown as Record<string, unknown>)[k] = raw[k];
    }
    app.webhooks = webhooks(`${at}.webhooks`, raw.webhooks, sources);
    return app;
  });
}

function webhooks(at: string, input: unknown, sources: Sources): ResolvedApp['webhooks'] {
  if (input === undefined || isAppsDatabase(input)) return []; // a database: src/apps/config.ts checks it
  if (!Array.isArray(input)) fail(at, input, 'expected an array of { url, events?, headers? }', sources);
  return input.map((raw, i) => {
    const key = `${at}[${i}]`;
    assertObject(key, raw, sources);
    rejectUnknown(key, raw, ['url', 'events', 'headers']);
    if (typeof raw.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(raw.url)) fail(`${key}.url`, raw.url, "expected an http(s) URL like 'https://app.example.com/pusher/webhooks'", sources);
    const events = raw.events ?? [...WEBHOOK_EVENTS];
    if (!Array.isArray(events) || events.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e))) fail(`${key}.events`, events, `expected an array of ${WEBHOOK_EVENTS.join(', ')}`, sources);
    const headers = raw.headers ?? {};
    assertObject(`${key}.headers`, headers, sources);
    for (const [name, value] of Object.entries(headers)) if (typeof value !== 'string') fail(`${key}.headers.${name}`, value, 'expected a string', sources);
    return { url: raw.url, events, headers: headers as Record<string, string> };
  });
}
