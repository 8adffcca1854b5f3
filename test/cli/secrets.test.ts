// Rule: the secret key (and the tokens made from it) never appear in ody's output, whatever succeeds or fails.
import { beforeAll, expect, test } from 'bun:test';
import { HANDSHAKE_HEADERS, open } from '../helpers/client';
import { bareEnv, ensureBinary, project, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const SECRET = 'never-log-me-7f3a9c2e5b1d';
const CONFIG = `
import { defineConfig, env, Event, Server } from '@ody/websocket-server';
export default defineConfig({
  port: 0,
  secretKey: env('WEBSOCKET_SECRET_KEY', ''),
  callbacks: {
    [Event.ON_HAND_SHAKE]: [Server, 'onHandshake'], [Event.ON_OPEN]: [Server, 'onOpen'], [Event.ON_MESSAGE]: [Server, 'onMessage'],
    [Event.ON_CLOSE]: [Server, 'onClose'], [Event.ON_REQUEST]: [Server, 'onRequest'], [Event.ON_DISCONNECT]: [Server, 'onDisconnect'],
  },
  additional: { workerNum: 1, logLevel: 'debug', requestLog: true },
});
`;

test('with debug logging and request logs on, auth successes and failures, tokens and API calls never print the secret', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, '.env': `WEBSOCKET_SECRET_KEY=${SECRET}\n` });
  const minted = await runOdy(['token', '--payload', '{"sub":"ada"}'], dir);
  const token = minted.stdout.trim();
  const [body, signature] = token.split('.') as [string, string];
  const tampered = `${Buffer.from(JSON.stringify({ sub: 'admin', exp: 9_999_999_999 })).toString('base64url')}.${signature}`;
  const ody = await startOdy(['websocket', 'start'], dir, bareEnv());
  try {
    const statuses: number[] = [];
    const handshake = async (path: string, headers: Record<string, string> = {}) => statuses.push((await fetch(`${ody.http}${path}`, { headers: { ...HANDSHAKE_HEADERS, ...headers } })).status);
    await handshake('/', { 'sec-websocket-protocol': `ody, ${SECRET}x` }); // wrong secret
    await handshake('/', { authorization: `Bearer ${SECRET.slice(1)}` }); // wrong bearer
    await handshake(`/?token=${SECRET}`); // the raw secret where only tokens go
    await handshake(`/?token=${tampered}`);
    await handshake(`/?token=${body}.${signature.slice(1)}`);
    using viaSecret = await open(ody.url, { protocols: ['ody', SECRET] });
    using viaBearer = await open(ody.url, { headers: { authorization: `Bearer ${SECRET}` }, lib: 'ws' });
    using viaToken = await open(`${ody.url}/?token=${token}`);
    using viaTokenProtocol = await open(ody.url, { protocols: ['ody', token] });
    viaSecret.send(`chat message`);
    await viaBearer.next();
    for (const key of [SECRET, 'wrong']) {
      statuses.push((await fetch(`${ody.http}/_ody/stats`, { headers: { 'x-api-key': key } })).status);
      statuses.push((await fetch(`${ody.http}/_ody/broadcast`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{"data":"hi"}' })).status);
      statuses.push((await fetch(`${ody.http}/broadcast`, { method: 'POST', headers: { 'x-api-key': key }, body: 'legacy' })).status);
    }
    statuses.push((await fetch(`${ody.http}/_ody/push`, { method: 'POST', headers: { 'x-api-key': SECRET }, body: '{"fd": 99, "data": "x"' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 200, 200, 200, 401, 401, 401, 400]);
  } finally {
    await ody.stop();
  }
  const output = ody.output() + minted.stderr;
  // Logging was really on: handshakes, refusals, messages and API calls are all there...
  for (const line of ['WS / 401', 'WS / 101', 'GET /_ody/stats 200', 'GET /_ody/stats 401', 'POST /_ody/push 400', 'Received from Client-', 'ended before becoming a WebSocket']) expect(output).toContain(line);
  // ...and neither the secret nor a token (both are credentials) is.
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(signature);
  expect(output).not.toContain(body);
});

test('config errors about the secret do not print it', async () => {
  const dir = project({ 'config/websockets.ts': `export default { host: '0.0.0.0', port: 0, secretKey: '123123123' };\n` });
  const wrongType = project({ 'config/websockets.ts': `export default { secretKey: 42 };\n` });
  const [publicDefault, notString] = await Promise.all([runOdy(['websocket', 'start'], dir), runOdy(['websocket', 'start'], wrongType)]);
  expect(publicDefault.stderr).toContain('refusing to bind 0.0.0.0 with the default secret key');
  expect(publicDefault.stderr).not.toContain('123123123');
  expect(notString.stderr).toBe("ody: config secretKey: expected a non-empty string, got '(hidden)'\n");
});
