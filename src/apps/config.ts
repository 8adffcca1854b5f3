// Validation of `apps` when it names a database ({ driver: 'postgres' | 'sqlite', … }), and WEBSOCKET_APPS_URL's form.
import { isAbsolute, resolve } from 'node:path';
import { assertObject, fail, isInt, isOneOf, rejectUnknown, type Sources } from '../config/checks';
import type { AppsDatabaseConfig } from '../config/schema';

export const DATABASE_DRIVERS = ['postgres', 'sqlite'] as const;

/** A table name goes into SQL text (it cannot be a bound parameter): plain identifiers only, optionally schema-qualified. */
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** `apps` is a database source when it is an object (not the array of apps). */
export function isAppsDatabase(input: unknown): boolean {
  return input !== null && typeof input === 'object' && !Array.isArray(input);
}

export function resolveAppsDatabase(input: unknown, root: string, sources: Sources): Required<AppsDatabaseConfig> | null {
  if (!isAppsDatabase(input)) return null;
  assertObject('apps', input, sources);
  rejectUnknown('apps', input, ['driver', 'url', 'path', 'table', 'cacheTtl', 'lookupTimeout']);
  const problem = isOneOf(DATABASE_DRIVERS)(input.driver);
  if (problem) fail('apps.driver', input.driver, problem, sources);
  const out: Required<AppsDatabaseConfig> = { driver: input.driver as 'postgres' | 'sqlite', url: '', path: '', table: 'ody_apps', cacheTtl: 10, lookupTimeout: 1000 };
  if (out.driver === 'postgres') {
    if (typeof input.url !== 'string' || !/^postgres(ql)?:\/\/\S+$/.test(input.url)) fail('apps.url', hideAuth(input.url), "expected a URL like 'postgres://user:password@127.0.0.1:5432/db'", sources);
    out.url = input.url;
  } else {
    if (typeof input.path !== 'string' || input.path === '') fail('apps.path', input.path, "expected the SQLite file, like 'storage/apps.sqlite'", sources);
    out.path = isAbsolute(input.path) ? input.path : resolve(root, input.path);
  }
  if (input.table !== undefined) {
    if (typeof input.table !== 'string' || !TABLE.test(input.table)) fail('apps.table', input.table, 'expected a table name of letters, digits and _ (optionally schema.table)', sources);
    out.table = input.table;
  }
  for (const [key, check] of [['cacheTtl', isInt(1, 86_400)], ['lookupTimeout', isInt(50, 60_000)]] as const) {
    if (input[key] === undefined) continue;
    const bad = check(input[key]);
    if (bad) fail(`apps.${key}`, input[key], bad, sources);
    out[key] = input[key] as number;
  }
  return out;
}

/** WEBSOCKET_APPS_URL ('postgres://…', 'sqlite:path') as an `apps` source; anything else is left for validation to name. */
export function appsFromUrl(url: string): AppsDatabaseConfig {
  if (/^sqlite:/.test(url)) return { driver: 'sqlite', path: url.replace(/^sqlite:(\/\/)?/, '') };
  return { driver: 'postgres', url };
}

/** A URL for an error line, without its password. */
export function hideAuth(url: unknown): unknown {
  return typeof url === 'string' ? url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : url;
}
