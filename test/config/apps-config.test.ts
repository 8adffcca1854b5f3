// Rule: `apps` (Pusher-protocol apps) is checked like every other key: defaults filled, bad values named, secrets never shown.
import { afterEach, expect, test } from 'bun:test';
import { resolveConfig } from '../../src/config/validate';
import { defaultConfig } from '../../src/server/default-config';

const load = (config: unknown) => () => resolveConfig(config, process.cwd(), null);

test('an app gets the documented limits by default', () => {
  const [app] = resolveConfig({ apps: [{ id: '1', key: 'k', secret: 's' }] }, process.cwd(), null).apps;
  expect(app).toEqual({
    id: '1', key: 'k', secret: 's', clientEvents: true, clientEventsPerSecond: 10, maxChannelNameLength: 164, maxEventSize: 10240,
    maxChannelsPerConnection: 100, messagesPerSecond: 100, maxPresenceMembers: 100, maxUserInfoSize: 1024, subscriptionCount: false, activityTimeout: 30, webhooks: [],
    enabled: true, maxConnections: 0, maxBackendEventsPerSecond: 0, maxClientEventsPerSecond: 0, maxReadRequestsPerSecond: 0, allowedOrigins: [],
  });
  expect(resolveConfig({}, process.cwd(), null).apps).toEqual([]);
});

test('bad apps are named by index and key; a secret is never echoed', () => {
  expect(load({ apps: 'x' })).toThrow('config apps: expected an array of { id, key, secret }');
  expect(load({ apps: {} })).toThrow("config apps.driver: expected one of 'postgres', 'sqlite'");
  expect(load({ apps: { driver: 'postgres', url: 'postgres://u:hunter2@h/db', tabel: 'x' } })).toThrow("config apps.tabel: unknown key (did you mean 'table'?)");
  expect(load({ apps: { driver: 'postgres', url: 'mysql://u:hunter2@h/db' } })).toThrow("config apps.url: expected a URL like 'postgres://user:password@127.0.0.1:5432/db', got 'mysql://u:***@h/db'");
  expect(load({ apps: { driver: 'sqlite', path: 'a.db', table: 'x; drop table y' } })).toThrow('config apps.table: expected a table name');
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's', allowedOrigins: 'https://x' }] })).toThrow('config apps[0].allowedOrigins: expected an array of origins');
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's', maxEventSiz: 1 }] })).toThrow("config apps[0].maxEventSiz: unknown key (did you mean 'maxEventSize'?)");
  expect(load({ apps: [{ id: '1', key: 'a b', secret: 's' }] })).toThrow("config apps[0].key: expected 1-128 letters, digits or _ . -, got 'a b'");
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's' }, { id: '2', key: 'k', secret: 't' }] })).toThrow("config apps[1].key: expected a unique key, got 'k'");
  expect(load({ apps: [{ id: '1', key: 'k', secret: '' }] })).toThrow("config apps[0].secret: expected a non-empty string, got '(hidden)'");
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's', activityTimeout: 0 }] })).toThrow('config apps[0].activityTimeout: expected a whole number from 1 to 3600, got 0');
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's', webhooks: [{ url: 'ftp://x' }] }] })).toThrow('config apps[0].webhooks[0].url: expected an http(s) URL');
  expect(load({ apps: [{ id: '1', key: 'k', secret: 's', webhooks: [{ url: 'http://x/h', events: ['channel_ocupied'] }] }] })).toThrow('config apps[0].webhooks[0].events: expected an array of channel_occupied');
});

const VARS = ['WEBSOCKET_APP_ID', 'WEBSOCKET_APP_KEY', 'WEBSOCKET_APP_SECRET'];
afterEach(() => {
  for (const v of VARS) delete process.env[v];
});

test('the embedded default serves one app when WEBSOCKET_APP_ID/KEY/SECRET are set, none otherwise', () => {
  expect(resolveConfig(defaultConfig(), process.cwd(), null).apps).toEqual([]);
  Object.assign(process.env, { WEBSOCKET_APP_ID: '7', WEBSOCKET_APP_KEY: 'key7', WEBSOCKET_APP_SECRET: 'secret7' });
  expect(resolveConfig(defaultConfig(), process.cwd(), null).apps.map((a) => [a.id, a.key, a.secret])).toEqual([['7', 'key7', 'secret7']]);
  delete process.env.WEBSOCKET_APP_SECRET;
  expect(load(defaultConfig())).toThrow('config apps[0].secret: expected a non-empty string');
});
