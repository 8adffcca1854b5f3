// Rule: a row of the apps table becomes the same app the config would make: NULL is the default, SQLite's 0/1 are
// booleans, allowed_origins is a comma list, webhooks JSON; a row that breaks a rule names its id and column.
import { expect, test } from 'bun:test';
import { defaultApp } from '../config/schema';
import { appFromRow, createTableSql } from './layout';

test('a SQLite-style row with NULLs, 0/1, a comma list and webhooks JSON', () => {
  const row = {
    id: 'shop', key: 'shop-key', secret: 's', enabled: 0, max_connections: 5n, allowed_origins: 'https://a.example, https://*.b.example', client_events: 1,
    webhooks: '[{"url":"https://hooks.example/pusher","events":["member_added"]}]', max_event_size: null, activity_timeout: null,
  };
  expect(appFromRow(row)).toEqual({
    ...defaultApp(), id: 'shop', key: 'shop-key', secret: 's', enabled: false, maxConnections: 5, allowedOrigins: ['https://a.example', 'https://*.b.example'], clientEvents: true,
    webhooks: [{ url: 'https://hooks.example/pusher', events: ['member_added'], headers: {} }],
  });
});

test('a broken row names its id and column, never its secret', () => {
  expect(() => appFromRow({ id: 'x', key: 'k', secret: 'hunter2', max_connections: -1 })).toThrow('apps table row id="x": maxConnections: expected a whole number from 0 to 100000000, got -1');
  expect(() => appFromRow({ id: 'x', key: 'k', secret: 'hunter2', webhooks: '[{' })).toThrow('apps table row id="x": webhooks is not JSON');
  expect(() => appFromRow({ id: 'x', key: 'k', secret: '' })).toThrow("apps table row id=\"x\": secret: expected a non-empty string, got '(hidden)'");
});

test('the table has a column per app key, with the driver-specific boolean type', () => {
  expect(createTableSql('sqlite')).toContain('"enabled" integer NOT NULL DEFAULT 1');
  expect(createTableSql('postgres', 'tenants.apps')).toStartWith('CREATE TABLE IF NOT EXISTS tenants.apps (');
  const columns = [...createTableSql('postgres').matchAll(/^ {2}"(\w+)"/gm)].map((m) => m[1]!.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()));
  expect(columns.sort()).toEqual(['id', 'key', 'secret', ...Object.keys(defaultApp())].sort());
});
