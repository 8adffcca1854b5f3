// Rule: the HTTP-side keys (routes, middleware, security, api, the new additional limits) are checked like every other key.
import { expect, test } from 'bun:test';
import { resolveConfig } from '../../src/config/validate';

const load = (config: unknown) => () => resolveConfig(config, process.cwd(), null);

test('defaults: no routes or middleware, every guard off, the API on at /_ody with a 1 MiB body limit', () => {
  const config = resolveConfig({}, process.cwd(), null);
  expect([config.routes, config.middleware, config.security, config.api, config.additional.maxConnectionsPerIp, config.additional.requestLog]).toEqual([
    {},
    [],
    { allowedOrigins: [], handshakeRateLimit: false, httpRateLimit: false, messageRateLimit: false, trustProxy: false },
    { enabled: true, prefix: '/_ody', maxBodySize: 1024 * 1024 },
    0,
    false,
  ]);
});

test('unknown keys in security and api are named, with the near one suggested', () => {
  expect(load({ security: { allowedOrigin: [] } })).toThrow("config security.allowedOrigin: unknown key (did you mean 'allowedOrigins'?)");
  expect(load({ api: { prefx: '/x' } })).toThrow("config api.prefx: unknown key (did you mean 'prefix'?)");
  expect(load({ security: { httpRateLimit: { limit: 1, window: 60 } } })).toThrow('config security.httpRateLimit.window: unknown key; known keys: limit, windowSeconds');
  expect(load({ middlewares: [] })).toThrow("config middlewares: unknown key (did you mean 'middleware'?)");
});

test('origins must be scheme://host[:port] without a path', () => {
  expect(load({ security: { allowedOrigins: ['https://app.example.com/'] } })).toThrow("config security.allowedOrigins[0]: expected 'scheme://host[:port]' ('*' wildcards allowed, no path), got 'https://app.example.com/'");
  expect(load({ security: { allowedOrigins: ['app.example.com'] } })).toThrow('config security.allowedOrigins[0]');
  expect(load({ security: { allowedOrigins: 'https://a.com' } })).toThrow('config security.allowedOrigins: expected an array of origins');
});

test('rate limits are false or { limit, windowSeconds } with whole positive numbers', () => {
  expect(load({ security: { messageRateLimit: { limit: 0, windowSeconds: 1 } } })).toThrow('config security.messageRateLimit.limit: expected a whole number from 1 to 1000000000, got 0');
  expect(load({ security: { handshakeRateLimit: { limit: 5 } } })).toThrow('config security.handshakeRateLimit.windowSeconds: expected a whole number from 1 to 86400, got undefined');
  expect(load({ security: { httpRateLimit: true } })).toThrow('config security.httpRateLimit: expected an object, got true');
  expect(resolveConfig({ security: { httpRateLimit: { limit: 10, windowSeconds: 60 } } }, process.cwd(), null).security.httpRateLimit).toEqual({ limit: 10, windowSeconds: 60 });
});

test('api.prefix needs a leading and no trailing slash; maxBodySize and the new additional keys have types', () => {
  expect(load({ api: { prefix: 'admin' } })).toThrow("config api.prefix: expected a path like '/_ody' (leading slash, no trailing slash), got 'admin'");
  expect(load({ api: { prefix: '/admin/' } })).toThrow('config api.prefix');
  expect(load({ api: { maxBodySize: -1 } })).toThrow('config api.maxBodySize: expected a whole number');
  expect(load({ additional: { maxConnectionsPerIp: 1.5 } })).toThrow('config additional.maxConnectionsPerIp: expected a whole number from 0 to 10000000, got 1.5');
  expect(load({ additional: { requestLog: 'yes' } })).toThrow('config additional.requestLog: expected true or false');
});

test('middleware must be an array of functions', () => {
  expect(load({ middleware: () => new Response() })).toThrow('config middleware: expected an array of middleware functions');
  expect(load({ middleware: [() => new Response(), 'cors'] })).toThrow("config middleware[1]: expected a function (request, next, ctx) => Response, got 'cors'");
});
