// Rule: Reverb's and Soketi's env names fill ody's own only where those are unset, secrets never shown in what is logged.
import { expect, test } from 'bun:test';
import { compatEnv } from './env-compat';

const REVERB = { REVERB_APP_ID: '583921', REVERB_APP_KEY: 'qzmd0fx1', REVERB_APP_SECRET: 'wrwnrqv0', REVERB_HOST: 'localhost', REVERB_PORT: '8080', REVERB_SCHEME: 'http' };

test("what reverb:install writes gives ody's app and Reverb's port", () => {
  expect(compatEnv(REVERB)).toEqual({
    set: { WEBSOCKET_APP_ID: '583921', WEBSOCKET_APP_KEY: 'qzmd0fx1', WEBSOCKET_APP_SECRET: 'wrwnrqv0', WEBSOCKET_PORT: '8080' },
    used: ["Reverb's env: WEBSOCKET_APP_ID=583921 (REVERB_APP_ID), WEBSOCKET_APP_KEY=qzmd0fx1 (REVERB_APP_KEY), WEBSOCKET_APP_SECRET=*** (REVERB_APP_SECRET), WEBSOCKET_PORT=8080 (Reverb's default)"],
  });
});

test("server host and port, message size and scaling with Laravel's REDIS_* (password null) map too", () => {
  const env = { ...REVERB, REVERB_SERVER_HOST: '0.0.0.0', REVERB_SERVER_PORT: '9000', REVERB_APP_MAX_MESSAGE_SIZE: '20000', REVERB_SCALING_ENABLED: 'true', REDIS_HOST: '10.0.0.5', REDIS_PASSWORD: 'null', REDIS_PORT: '6380' };
  expect(compatEnv(env).set).toEqual({
    WEBSOCKET_APP_ID: '583921', WEBSOCKET_APP_KEY: 'qzmd0fx1', WEBSOCKET_APP_SECRET: 'wrwnrqv0', WEBSOCKET_HOST: '0.0.0.0', WEBSOCKET_PORT: '9000',
    WEBSOCKET_APP_MAX_EVENT_SIZE: '20000', WEBSOCKET_ADAPTER: 'redis', REDIS_URL: 'redis://10.0.0.5:6380',
  });
});

test("ody's own variables win, and a REDIS_URL already set is kept", () => {
  const env = { ...REVERB, WEBSOCKET_PORT: '9502', WEBSOCKET_APP_SECRET: 'mine', REVERB_SCALING_ENABLED: 'true', REDIS_URL: 'redis://r:6379', REDIS_HOST: 'x' };
  expect(compatEnv(env).set).toEqual({ WEBSOCKET_APP_ID: '583921', WEBSOCKET_APP_KEY: 'qzmd0fx1', WEBSOCKET_ADAPTER: 'redis' });
});

test("Soketi's default app, port and redis adapter map, the redis password hidden in the log", () => {
  const env = { SOKETI_DEFAULT_APP_ID: 'app-id', SOKETI_DEFAULT_APP_KEY: 'app-key', SOKETI_DEFAULT_APP_SECRET: 'app-secret', SOKETI_ADAPTER_DRIVER: 'redis', SOKETI_DB_REDIS_HOST: 'redis', SOKETI_DB_REDIS_PASSWORD: 'p@ss' };
  const { set, used } = compatEnv(env);
  expect(set).toEqual({ WEBSOCKET_APP_ID: 'app-id', WEBSOCKET_APP_KEY: 'app-key', WEBSOCKET_APP_SECRET: 'app-secret', WEBSOCKET_PORT: '6001', WEBSOCKET_ADAPTER: 'redis', REDIS_URL: 'redis://:p%40ss@redis:6379' });
  expect(used.join('\n')).not.toContain('p%40ss');
  expect(used.join('\n')).not.toContain('app-secret');
});

test('nothing of either: nothing set', () => {
  expect(compatEnv({ APP_NAME: 'Laravel', REDIS_HOST: '127.0.0.1' })).toEqual({ set: {}, used: [] });
});
