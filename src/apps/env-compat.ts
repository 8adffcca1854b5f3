// Drop-in from Laravel Reverb and Soketi: their env names fill ody's own (WEBSOCKET_*, REDIS_URL) when those are
// not set, so ody started in a Laravel project root (or with a Soketi unit's environment) serves the same app.
// Applied after .env is loaded (config/load.ts); what was used is logged once at start (src/apps/start.ts).

import { hideAuth } from './config';

type Env = Record<string, string | undefined>;

export interface Compat {
  /** ody variables to set, with their values. */
  set: Record<string, string>;
  /** One line per source, for the start log: "Reverb's env: WEBSOCKET_APP_ID=123 (REVERB_APP_ID), …". */
  used: string[];
}

/** Laravel writes `null` for an unset password. */
const value = (env: Env, name: string) => {
  const v = env[name];
  return v === undefined || v === '' || v === 'null' ? undefined : v;
};

function redisUrl(env: Env, host: string, port: string, password: string): string | undefined {
  if (value(env, host) === undefined && value(env, port) === undefined) return undefined;
  const auth = value(env, password) ? `:${encodeURIComponent(value(env, password)!)}@` : '';
  return `redis://${auth}${value(env, host) ?? '127.0.0.1'}:${value(env, port) ?? '6379'}`;
}

/** The mapping, pure: from an environment to the ody variables it implies (only those not already set). */
export function compatEnv(env: Env): Compat {
  const out: Compat = { set: {}, used: [] };
  const fill = (source: string, pairs: [ody: string, from: string, v: string | undefined][]) => {
    const taken: string[] = [];
    for (const [ody, from, v] of pairs) {
      if (v === undefined || value(env, ody) !== undefined || out.set[ody] !== undefined) continue;
      out.set[ody] = v;
      const shown = ody.endsWith('SECRET') ? '***' : ody === 'REDIS_URL' ? String(hideAuth(v)) : v;
      taken.push(`${ody}=${shown} (${from})`);
    }
    if (taken.length > 0) out.used.push(`${source}: ${taken.join(', ')}`);
  };
  if (value(env, 'REVERB_APP_KEY') !== undefined) {
    const scaling = /^(true|1|yes|on)$/i.test(value(env, 'REVERB_SCALING_ENABLED') ?? '');
    fill("Reverb's env", [
      ['WEBSOCKET_APP_ID', 'REVERB_APP_ID', value(env, 'REVERB_APP_ID')],
      ['WEBSOCKET_APP_KEY', 'REVERB_APP_KEY', value(env, 'REVERB_APP_KEY')],
      ['WEBSOCKET_APP_SECRET', 'REVERB_APP_SECRET', value(env, 'REVERB_APP_SECRET')],
      ['WEBSOCKET_HOST', 'REVERB_SERVER_HOST', value(env, 'REVERB_SERVER_HOST')],
      // Reverb listens on 8080 unless told: clients configured for it (VITE_REVERB_PORT) find ody there too.
      ['WEBSOCKET_PORT', value(env, 'REVERB_SERVER_PORT') ? 'REVERB_SERVER_PORT' : "Reverb's default", value(env, 'REVERB_SERVER_PORT') ?? '8080'],
      ['WEBSOCKET_APP_MAX_EVENT_SIZE', 'REVERB_APP_MAX_MESSAGE_SIZE', value(env, 'REVERB_APP_MAX_MESSAGE_SIZE')],
      ['WEBSOCKET_ADAPTER', 'REVERB_SCALING_ENABLED', scaling ? 'redis' : undefined],
      ['REDIS_URL', 'REDIS_HOST/REDIS_PORT', scaling ? redisUrl(env, 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD') : undefined],
    ]);
  }
  if (value(env, 'SOKETI_DEFAULT_APP_KEY') !== undefined) {
    const redis = value(env, 'SOKETI_ADAPTER_DRIVER') === 'redis';
    fill("Soketi's env", [
      ['WEBSOCKET_APP_ID', 'SOKETI_DEFAULT_APP_ID', value(env, 'SOKETI_DEFAULT_APP_ID')],
      ['WEBSOCKET_APP_KEY', 'SOKETI_DEFAULT_APP_KEY', value(env, 'SOKETI_DEFAULT_APP_KEY')],
      ['WEBSOCKET_APP_SECRET', 'SOKETI_DEFAULT_APP_SECRET', value(env, 'SOKETI_DEFAULT_APP_SECRET')],
      ['WEBSOCKET_PORT', value(env, 'SOKETI_PORT') ? 'SOKETI_PORT' : "Soketi's default", value(env, 'SOKETI_PORT') ?? '6001'],
      ['WEBSOCKET_ADAPTER', 'SOKETI_ADAPTER_DRIVER', redis ? 'redis' : undefined],
      ['REDIS_URL', 'SOKETI_DB_REDIS_HOST/PORT', redis ? redisUrl(env, 'SOKETI_DB_REDIS_HOST', 'SOKETI_DB_REDIS_PORT', 'SOKETI_DB_REDIS_PASSWORD') : undefined],
    ]);
  }
  return out;
}

/**
 * Puts the mapping into process.env. Variables it set the last time are cleared first (a reload's new .env may
 * change a REVERB_ value), and their names travel to workers in ODY_COMPAT_KEYS so they do the same.
 */
export function applyCompatEnv(): string[] {
  for (const name of (process.env.ODY_COMPAT_KEYS ?? '').split(',').filter(Boolean)) delete process.env[name];
  const { set, used } = compatEnv(process.env);
  Object.assign(process.env, set);
  process.env.ODY_COMPAT_KEYS = Object.keys(set).join(',');
  lastUsed = used;
  return used;
}

let lastUsed: string[] = [];

/** What the last applyCompatEnv() used, for the start log. */
export function compatUsed(): readonly string[] {
  return lastUsed;
}
