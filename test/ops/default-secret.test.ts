// Rule: the well-known default secret serves only clients on this machine: with security.trustProxy (a proxy
// forwards the internet) the start is refused, and a request or handshake from a non-loopback peer is refused.
import { beforeAll, expect, test } from 'bun:test';
import { createPipeline } from '../../src/http/pipeline';
import { Handshake } from '../../src/server/handshake';
import { HANDSHAKE_HEADERS } from '../helpers/client';
import { ensureBinary, project, runOdy } from '../helpers/binary';
import { captureLogs, serve } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

test('loopback + trustProxy with the default secret refuses to start with one line', async () => {
  const dir = project({ 'config/websockets.ts': `export default { port: 0, security: { trustProxy: true }, additional: { workerNum: 1 } };\n` });
  const run = await runOdy(['websocket', 'start'], dir);
  expect([run.code, run.stdout, run.stderr]).toEqual([
    1, '',
    'ody: refusing to start with the default secret key and security.trustProxy (requests arrive from off this machine through the proxy): set WEBSOCKET_SECRET_KEY in .env (or secretKey in config) to a long random value, e.g. `openssl rand -hex 32`\n',
  ]);
}, 20_000);

for (const secretKey of [undefined, 'a-real-secret-0123456789']) {
  test(`requests and handshakes from a non-loopback peer, secret ${secretKey ? 'set' : 'default'}`, async () => {
    await using s = serve({ secretKey, callbacks: { request: () => new Response('served') } });
    const pipeline = createPipeline(s.server.config, s.server, s.node);
    const fallback = async () => new Response('served');
    using logs = captureLogs();
    const answers: [string, number][] = [];
    for (const peer of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '', '203.0.113.7', '::ffff:192.0.2.1', '2001:db8::1']) {
      const http = await pipeline.http(new Request('http://x/'), peer, fallback);
      let accepted = false;
      const req = new Request('http://x/', { headers: HANDSHAKE_HEADERS });
      const shake = await pipeline.handshake(req, () => peer, 99, new Handshake(99, req, s.server), async () => ((accepted = true), undefined), () => {});
      answers.push([peer, http.status], [peer, accepted ? 101 : shake!.status]);
    }
    const refused = secretKey ? 200 : 403;
    expect(answers).toEqual([
      ['127.0.0.1', 200], ['127.0.0.1', 101], ['::1', 200], ['::1', 101], ['::ffff:127.0.0.1', 200], ['::ffff:127.0.0.1', 101], ['', 200], ['', 101],
      ['203.0.113.7', refused], ['203.0.113.7', secretKey ? 101 : 403], ['::ffff:192.0.2.1', refused], ['::ffff:192.0.2.1', secretKey ? 101 : 403],
      ['2001:db8::1', refused], ['2001:db8::1', secretKey ? 101 : 403],
    ]);
    if (!secretKey) expect(logs.lines.filter((l) => l.includes('default secret'))).toEqual([
      'error refused a request from 203.0.113.7: this server uses the default secret key, which serves only clients on this machine; set WEBSOCKET_SECRET_KEY to a long random value (logged once)',
    ]);
  });
}
