// The apps table: its columns (one per app setting, snake_case), the SQL that creates it, and a row -> app.
// A NULL column means the setting's default; a row that breaks a rule is treated as missing and logged.
import { resolveApps } from '../config/validate-apps';
import type { AppConfig, ResolvedApp } from '../config/schema';
import { OdyError } from '../errors';

/** Columns and the AppConfig key each one fills. Booleans are boolean (postgres) or 0/1 (sqlite). */
const COLUMNS: [column: string, key: keyof AppConfig, kind: 'text' | 'int' | 'bool' | 'list' | 'json'][] = [
  ['id', 'id', 'text'],
  ['key', 'key', 'text'],
  ['secret', 'secret', 'text'],
  ['enabled', 'enabled', 'bool'],
  ['max_connections', 'maxConnections', 'int'],
  ['max_backend_events_per_second', 'maxBackendEventsPerSecond', 'int'],
  ['max_client_events_per_second', 'maxClientEventsPerSecond', 'int'],
  ['max_read_requests_per_second', 'maxReadRequestsPerSecond', 'int'],
  ['allowed_origins', 'allowedOrigins', 'list'],
  ['client_events', 'clientEvents', 'bool'],
  ['client_events_per_second', 'clientEventsPerSecond', 'int'],
  ['max_channel_name_length', 'maxChannelNameLength', 'int'],
  ['max_event_size', 'maxEventSize', 'int'],
  ['max_channels_per_connection', 'maxChannelsPerConnection', 'int'],
  ['messages_per_second', 'messagesPerSecond', 'int'],
  ['max_presence_members', 'maxPresenceMembers', 'int'],
  ['max_user_info_size', 'maxUserInfoSize', 'int'],
  ['subscription_count', 'subscriptionCount', 'bool'],
  ['activity_timeout', 'activityTimeout', 'int'],
  ['webhooks', 'webhooks', 'json'],
];

export const COLUMN_LIST = COLUMNS.map(([c]) => `"${c}"`).join(', ');

/** CREATE TABLE for a driver: what `ody apps init-db` runs and the README shows. */
export function createTableSql(driver: 'postgres' | 'sqlite', table = 'ody_apps'): string {
  const bool = driver === 'postgres' ? 'boolean' : 'integer';
  const yes = driver === 'postgres' ? 'true' : '1';
  const type = { text: 'text', int: 'integer', bool, list: 'text', json: 'text' };
  const lines = COLUMNS.map(([column, , kind]) => {
    if (column === 'id') return '  "id" text PRIMARY KEY';
    if (column === 'key') return '  "key" text NOT NULL UNIQUE';
    if (column === 'secret') return '  "secret" text NOT NULL';
    if (column === 'enabled') return `  "enabled" ${bool} NOT NULL DEFAULT ${yes}`;
    return `  "${column}" ${type[kind]} NULL`;
  });
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${lines.join(',\n')}\n);\n`;
}

/**
 * A row as a validated app, checked by the same rules as an app in the config file. allowed_origins is a
 * comma-separated list; webhooks is a JSON array like the config's. Throws OdyError naming the row and column.
 */
export function appFromRow(row: Record<string, unknown>): ResolvedApp {
  const raw: Record<string, unknown> = {};
  for (const [column, key, kind] of COLUMNS) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    if (kind === 'bool') raw[key] = typeof value === 'number' ? value !== 0 : value;
    else if (kind === 'list') raw[key] = String(value).split(',').map((s) => s.trim()).filter(Boolean);
    else if (kind === 'json') raw[key] = parseJson(row, column, value);
    else if (kind === 'int' && typeof value === 'bigint') raw[key] = Number(value);
    else raw[key] = value;
  }
  try {
    return resolveApps([raw], {})[0]!;
  } catch (error) {
    const why = (error as Error).message.replace(/^config apps\[0\]\./, '');
    throw new OdyError(`apps table row id=${JSON.stringify(row.id)}: ${why}`, 'E_CONFIG');
  }
}

function parseJson(row: Record<string, unknown>, column: string, value: unknown): unknown {
  if (typeof value !== 'string') return value; // postgres json/jsonb columns arrive parsed
  try {
    return JSON.parse(value);
  } catch {
    throw new OdyError(`apps table row id=${JSON.stringify(row.id)}: ${column} is not JSON`, 'E_CONFIG');
  }
}
