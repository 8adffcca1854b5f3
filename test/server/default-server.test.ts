// Rule: the built-in Server authenticates with the secret, relays chat, broadcasts over HTTP, serves health and a page.
import { expect, test } from 'bun:test';
import { defaultConfig } from '../../src/server/default-config';
import { connect, open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

const SECRET = 'test-secret-0123456789';
const builtIn = () => serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: SECRET, additional: { workerNum: 1, logLevel: 'error' } });
const auth = { protocols: ['ody', SECRET] };

test('a handshake without the secret gets 401, fires onDisconnect, and never opens', async () => {
  await using s = builtIn();
  using logs = captureLogs();
  const res = await fetch(s.http, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
  expect(res.status).toBe(401);
  const wrong = connect(s.ws, { protocols: ['ody', 'not-the-secret'] });
  await wrong.closed;
  expect(s.server.stats()).toMatchObject({ connections: 0, connectionsTotal: 0, handshakesRejected: 2 });
  expect(logs.lines.filter((l) => l.includes('ended before becoming a WebSocket'))).toHaveLength(2);
  expect(logs.lines.join('\n')).not.toContain(SECRET);
});

test('the secret as a subprotocol beside "ody" is accepted and the answer is "ody", not the secret', async () => {
  await using s = builtIn();
  using bunClient = await open(s.ws, auth);
  using wsClient = await open(s.ws, { ...auth, lib: 'ws' });
  expect([bunClient.protocol(), wsClient.protocol()]).toEqual(['ody', 'ody']);
});

test('the secret as Authorization: Bearer is accepted; the secret alone as subprotocol still works (PHP clients)', async () => {
  await using s = builtIn();
  using bearer = await open(s.ws, { headers: { authorization: `Bearer ${SECRET}` }, lib: 'ws' });
  using legacy = await open(s.ws, { protocols: [SECRET] });
  expect(s.server.count()).toBe(2);
  expect(s.server.table.get(1)).toEqual({ fd: 1, name: 'Client-000001' });
});

test('a message is relayed to every other client, not back to the sender', async () => {
  await using s = builtIn();
  const a = await open(s.ws, auth);
  const b = await open(s.ws, { ...auth, lib: 'ws' });
  const c = await open(s.ws, auth);
  a.send('hi from a');
  expect([await b.next(), await c.next()]).toEqual(['hi from a', 'hi from a']);
  await Bun.sleep(20);
  expect(a.messages).toEqual([]);
  c.close();
  await until(() => s.server.table.count() === 2, 'table row removed on close');
  expect([...s.server.table.keys()]).toEqual(['1', '2']);
});

test('POST without the key is 401 and sends nothing; with x-api-key it broadcasts the body', async () => {
  await using s = builtIn();
  const a = await open(s.ws, auth);
  const b = await open(s.ws, { ...auth, lib: 'ws' });
  const denied = await fetch(`${s.http}/broadcast`, { method: 'POST', body: 'sneaky' });
  expect(denied.status).toBe(401);
  const wrongKey = await fetch(`${s.http}/broadcast`, { method: 'POST', body: 'sneaky', headers: { 'x-api-key': 'nope' } });
  expect(wrongKey.status).toBe(401);
  const ok = await fetch(`${s.http}/broadcast`, { method: 'POST', body: 'news for all', headers: { 'x-api-key': SECRET } });
  expect([ok.status, await ok.json()]).toEqual([200, { delivered: 2 }]);
  expect([await a.next(), await b.next()]).toEqual(['news for all', 'news for all']);
  expect([a.messages, b.messages]).toEqual([['news for all'], ['news for all']]); // nothing from the denied posts
});

test('GET /health answers JSON; GET / serves the demo page; other paths 404', async () => {
  await using s = builtIn();
  using a = await open(s.ws, auth);
  const health = await fetch(`${s.http}/health`);
  expect(await health.json()).toEqual({ status: 'ok' }); // the server-wide probe (src/http/health.ts): no pid or other internals
  const page = await fetch(`${s.http}/`);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(await page.text()).toContain('<title>ody chat demo</title>');
  expect((await fetch(`${s.http}/nope`)).status).toBe(404);
});
