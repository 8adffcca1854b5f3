// Rule: /metrics serves Prometheus text behind the secret, counting messages, bytes, refusals by reason and
// backpressure drops as they happen; promtool accepts it and a real Prometheus scrapes it.
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Middleware, WsServer } from '../../src/index';
import { HANDSHAKE_HEADERS, open } from '../helpers/client';
import { serve, until } from '../helpers/server';
import { freePort, haveTool, runTool } from '../helpers/tools';

const SECRET = 'metrics-test-secret-0123456789';
const echo = { message: (server: WsServer, frame: Frame) => void server.push(frame.fd, frame.data) };

async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } });
  expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  return res.text();
}

/** Sample values by `name{labels}`, as written. */
function samples(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+\{[^}]*\}) (\S+)$/.exec(line);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

test('without the secret 401 (x-api-key and Bearer both work); middleware never sees the scrape', async () => {
  const seen: string[] = [];
  const watch: Middleware = (request, next) => (seen.push(new URL(request.url).pathname), next());
  await using s = serve({ secretKey: SECRET, middleware: [watch] });
  const denied = await fetch(`${s.http}/metrics`, { headers: { authorization: 'Bearer wrong' } });
  expect([denied.status, denied.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
  expect((await fetch(`${s.http}/metrics`, { headers: { 'x-api-key': SECRET } })).status).toBe(200);
  expect(await scrape(s.http)).toContain('ody_connections{worker="0"} 0');
  expect(seen).toEqual([]);
});

test('a round trip, a broadcast and a refused handshake show up as counted, per worker', async () => {
  const onlyWithToken: Middleware = (request, next, ctx) => (ctx.kind === 'http' || request.headers.get('authorization') === 'Bearer ok' ? next() : new Response('no', { status: 401 }));
  await using s = serve({ secretKey: SECRET, callbacks: echo, middleware: [onlyWithToken] });
  using a = await open(s.ws, { headers: { authorization: 'Bearer ok' } });
  using b = await open(s.ws, { headers: { authorization: 'Bearer ok' } });
  a.send('héllo'); // 6 bytes in UTF-8
  expect(await a.next()).toBe('héllo');
  s.server.broadcast('abc'); // 3 bytes to each of 2 clients
  expect([await a.next(), await b.next()]).toEqual(['abc', 'abc']);
  expect((await fetch(s.http, { headers: HANDSHAKE_HEADERS })).status).toBe(401);
  const values = samples(await scrape(s.http));
  expect({
    connections: values['ody_connections{worker="0"}'],
    received: values['ody_messages_received_total{worker="0"}'],
    sent: values['ody_messages_sent_total{worker="0"}'],
    bytesIn: values['ody_bytes_received_total{worker="0"}'],
    bytesOut: values['ody_bytes_sent_total{worker="0"}'],
    unauthorized: values['ody_handshakes_rejected_total{worker="0",reason="unauthorized"}'],
    forbidden: values['ody_handshakes_rejected_total{worker="0",reason="forbidden"}'],
    errors: values['ody_callback_errors_total{worker="0"}'],
  }).toEqual({ connections: 2, received: 1, sent: 3, bytesIn: 6, bytesOut: 12, unauthorized: 1, forbidden: 0, errors: 0 });
  expect(values['ody_process_resident_memory_bytes{worker="0"}']).toBeGreaterThan(1_000_000);
});

test('every message dropped for a slow reader is counted', async () => {
  await using s = serve({ secretKey: SECRET, additional: { backpressureLimit: 64 * 1024 } });
  const { port } = new URL(s.http);
  const upgraded = Promise.withResolvers<void>();
  const slow = await Bun.connect({ hostname: '127.0.0.1', port: Number(port), socket: { data: (sock) => (sock.pause(), upgraded.resolve()) } });
  slow.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await upgraded.promise;
  await until(() => s.server.count() === 1, 'slow client open');
  let dropped = 0;
  for (let i = 0; i < 2000 && dropped < 5; i++) if (!s.server.push(1, 'x'.repeat(32 * 1024))) dropped++;
  slow.end();
  expect(dropped).toBe(5);
  expect(samples(await scrape(s.http))['ody_backpressure_drops_total{worker="0"}']).toBe(5);
});

test.skipIf(!haveTool('promtool'))('promtool check metrics accepts the output of a server that has seen traffic', async () => {
  await using s = serve({ secretKey: SECRET, callbacks: echo });
  using c = await open(s.ws);
  c.send('ping');
  await c.next();
  const result = await runTool(['promtool', 'check', 'metrics'], { stdin: await scrape(s.http) });
  expect([result.code, result.stdout + result.stderr]).toEqual([0, '']);
});

test.skipIf(!haveTool('prometheus'))('a real Prometheus scrapes /metrics with bearer credentials: up is 1 and ody series are stored', async () => {
  await using s = serve({ secretKey: SECRET });
  const dir = mkdtempSync(join(tmpdir(), 'ody-prometheus-'));
  const port = freePort();
  const target = new URL(s.http).host;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: ody\n    authorization: { credentials: '${SECRET}' }\n    static_configs: [{ targets: ['${target}'] }]\n`,
  );
  const proc = Bun.spawn(['prometheus', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdout: 'ignore', stderr: 'pipe' });
  const log = new Response(proc.stderr).text();
  try {
    const query = async (q: string) => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
        return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
      } catch {
        return []; // not listening yet
      }
    };
    let up: Awaited<ReturnType<typeof query>> = [];
    const deadline = Date.now() + 45_000;
    while (up.length === 0 && Date.now() < deadline && proc.exitCode === null) {
      up = await query('up{job="ody"}');
      if (up.length === 0) await Bun.sleep(250);
    }
    expect(up.map((r) => [r.metric.instance, r.value[1]])).toEqual([[target, '1']]);
    const connections = await query('ody_connections');
    expect(connections.map((r) => [r.metric.worker, r.value[1]])).toEqual([['0', '0']]);
  } finally {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await proc.exited;
    clearTimeout(timer);
    if (proc.exitCode !== 0) console.log(await log);
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
