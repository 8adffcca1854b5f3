// Rule: the built-in handshake accepts a valid token (subprotocol, ?token= or Bearer) in place of the secret and keeps its payload.
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { signToken, type OpenRequest, type WsServer } from '../../src/index';
import { Server } from '../../src/server/default-server';
import { defaultConfig } from '../../src/server/default-config';
import { HANDSHAKE_HEADERS, open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

const SECRET = 'handshake-secret-0123456789';

/** The built-in Server, with onOpen also recording what the connection carries. */
function builtIn(opens: unknown[] = []) {
  const config = defaultConfig();
  return serve({
    ...config,
    host: '127.0.0.1',
    port: 0,
    secretKey: SECRET,
    callbacks: { ...config.callbacks, open: (server: WsServer, r: OpenRequest) => (opens.push([r.protocol, r.data]), Server.onOpen(server, r)) },
    additional: { workerNum: 1, logLevel: 'error' },
  });
}

const expiredToken = () => {
  const body = Buffer.from(JSON.stringify({ sub: 'ada', exp: Math.floor(Date.now() / 1000) - 5 })).toString('base64url');
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
};

test('a token as a subprotocol beside "ody" opens, answers "ody", and its payload is data.token', async () => {
  const opens: unknown[] = [];
  await using s = builtIn(opens);
  const token = signToken({ sub: 'ada' }, { secret: SECRET, expiresIn: 60 });
  using c = await open(s.ws, { protocols: ['ody', token] });
  await until(() => opens.length === 1, 'open');
  expect(c.protocol()).toBe('ody');
  expect(opens).toEqual([['ody', { token: { sub: 'ada', exp: expect.any(Number) } }]]);
  expect(s.server.getClientInfo(1)?.data).toEqual({ token: { sub: 'ada', exp: expect.any(Number) } });
});

test('a token in ?token= or as Authorization: Bearer opens too', async () => {
  const opens: unknown[] = [];
  await using s = builtIn(opens);
  const token = signToken({ sub: 'grace' }, { secret: SECRET, expiresIn: 60 });
  using viaQuery = await open(`${s.ws}/?token=${token}`);
  using viaBearer = await open(s.ws, { headers: { authorization: `Bearer ${token}` }, lib: 'ws' });
  await until(() => opens.length === 2, 'opens');
  expect(opens.map((o) => ((o as [string, { token: { sub: string } }])[1]).token.sub)).toEqual(['grace', 'grace']);
});

test('an expired token gets 401 "token expired"; a tampered one 401 "invalid token"; onDisconnect fires for both', async () => {
  await using s = builtIn();
  using logs = captureLogs();
  const good = signToken({ sub: 'ada' }, { secret: SECRET, expiresIn: 60 });
  const tampered = `${Buffer.from(JSON.stringify({ sub: 'admin', exp: 9_999_999_999 })).toString('base64url')}.${good.split('.')[1]}`;
  const answers = [];
  for (const token of [expiredToken(), tampered]) {
    const res = await fetch(`${s.http}/?token=${token}`, { headers: HANDSHAKE_HEADERS });
    answers.push([res.status, await res.text()]);
  }
  expect(answers).toEqual([[401, 'Unauthorized: token expired\n'], [401, 'Unauthorized: invalid token\n']]);
  await until(() => logs.lines.filter((l) => l.includes('ended before becoming a WebSocket')).length === 2, 'two disconnects');
  expect(s.server.count()).toBe(0);
});

test('a token signed with another secret is refused', async () => {
  await using s = builtIn();
  const foreign = signToken({ sub: 'ada' }, { secret: 'some-other-secret', expiresIn: 60 });
  const res = await fetch(s.http, { headers: { ...HANDSHAKE_HEADERS, 'sec-websocket-protocol': `ody, ${foreign}` } });
  expect([res.status, await res.text()]).toEqual([401, 'Unauthorized: invalid token\n']);
});

test('the raw secret is not accepted in ?token= (URLs end up in logs): 401', async () => {
  await using s = builtIn();
  const res = await fetch(`${s.http}/?token=${SECRET}`, { headers: HANDSHAKE_HEADERS });
  expect(res.status).toBe(401);
  using ok = await open(s.ws, { protocols: ['ody', SECRET] });
  expect(s.server.count()).toBe(1);
});
