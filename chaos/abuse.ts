// Chaos, abuse phase: one anonymous client (a process of its own, knowing only the public app key and id) throws at
// a Pusher app what issue 19 found — 150,000 subscribes from one socket, unsigned chunked 120 MB uploads, thousands of
// channels counted with subscriptionCount, a cache_miss subscribe loop against a failing webhook receiver, malformed
// percent-escapes — while normal clients receive a ticking event. Their delivery latency is measured before and during
// (p99 of each), and afterwards a fresh client must still get in. Loopback only, bounded in time and size.
// The socket patterns run into the app's messagesPerSecond budget (4303): how far each got is in the report.
// ODY_ABUSE=flood,uploads,counted,misses,malformed picks patterns (default: all), to see which one costs what.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';

const APP = { id: 'chaos', key: 'chaos-key', secret: 'chaos-secret-0123456789' };
/** How long each window (before, during) lasts. */
const WINDOW_MS = 8000;
const TICK_MS = 200;

const config = (hookUrl: string, clients: number) => `
import { defineConfig } from '@ody/websocket-server';
export default defineConfig({
  port: 0,
  apps: [{ id: '${APP.id}', key: '${APP.key}', secret: '${APP.secret}', subscriptionCount: true, webhooks: [{ url: '${hookUrl}' }] }],
  additional: { workerNum: 1, logLevel: 'info', shutdownTimeout: 3, maxConnectionsPerIp: ${clients + 100} },
});
`;

export interface AbuseOptions {
  binary: string;
  /** Normal clients listening while the abuse goes on. @default 1000 in `bun run chaos` */
  clients: number;
  log?: (line: string) => void;
}

export interface AbuseReport {
  clients: number;
  p99BeforeMs: number;
  p99DuringMs: number;
  /** Ticks a normal client never got (its socket closed, or the event never came). */
  missedTicks: number;
  /** What the abuser saw: how far each pattern got. */
  abuser: Record<string, number | string>;
  /** A client opened after the abuse connected (no per-IP slot leaked, the server alive). */
  admittedAfter: boolean;
  rssBeforeMb: number;
  rssAfterMb: number;
}

const p99 = (samples: number[]) => (samples.length === 0 ? Number.NaN : [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.99)]!);
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

function signed(base: string, method: string, path: string, body: string): string {
  const params: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0' };
  if (body) params.body_md5 = new Bun.CryptoHasher('md5').update(body).digest('hex');
  const sorted = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const signature = createHmac('sha256', APP.secret).update(`${method}\n${path}\n${sorted}`).digest('hex');
  return `${base}${path}?${new URLSearchParams({ ...params, auth_signature: signature })}`;
}

/** A normal client: subscribed to `news`, recording how long each tick took to arrive. */
function listener(url: string, latencies: { now: number[] }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/app/${APP.key}?protocol=7`);
    ws.on('error', reject);
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.event === 'pusher:connection_established') ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }));
      else if (m.event === 'pusher_internal:subscription_succeeded') resolve(ws);
      else if (m.event === 'tick') latencies.now.push(Date.now() - JSON.parse(m.data).t);
    });
  });
}

export async function runAbuse(options: AbuseOptions): Promise<AbuseReport> {
  const log = options.log ?? (() => {});
  // The webhook receiver is down for the whole run: retries pile up unless the queue is bounded.
  const hooks = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('down', { status: 503 }) });
  const dir = mkdtempSync(join(tmpdir(), 'ody-abuse-'));
  mkdirSync(dirname(join(dir, 'config/websockets.ts')), { recursive: true });
  writeFileSync(join(dir, 'config/websockets.ts'), config(`http://127.0.0.1:${hooks.port}/hooks`, options.clients));
  const server = spawn(options.binary, ['websocket', 'start'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: dir } });
  let output = '';
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/listening on (\S+)/.test(output)) {
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`ody did not start: ${output}`);
      await Bun.sleep(20);
    }
    const url = /listening on (\S+)/.exec(output)![1]!.replace(/\/$/, '');
    const http = url.replace(/^ws/, 'http');
    const latencies = { now: [] as number[] };
    const sockets: WebSocket[] = [];
    for (let i = 0; i < options.clients; i += 50) sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, options.clients - i) }, () => listener(url, latencies)))));
    log(`${sockets.length} normal clients subscribed to news`);

    let ticks = 0;
    const tick = setInterval(() => {
      const body = JSON.stringify({ name: 'tick', channel: 'news', data: JSON.stringify({ t: Date.now() }) });
      ticks++;
      void fetch(signed(http, 'POST', `/apps/${APP.id}/events`, body), { method: 'POST', body, headers: { 'content-type': 'application/json' } }).catch(() => {});
    }, TICK_MS);
    const rssBeforeMb = rssMb(server.pid!);
    await Bun.sleep(WINDOW_MS);
    const before = latencies.now;
    latencies.now = [];

    log('abuse starts');
    const abuser = Bun.spawn([process.execPath, import.meta.path, '--abuser', url, String(WINDOW_MS)], { stdout: 'pipe', stderr: 'inherit' });
    await Bun.sleep(WINDOW_MS);
    const during = latencies.now;
    latencies.now = [];
    clearInterval(tick);
    const abuse = JSON.parse((await new Response(abuser.stdout).text()) || '{}');
    await abuser.exited;
    await Bun.sleep(500); // the last ticks land
    const received = before.length + during.length + latencies.now.length;

    const fresh = await Promise.race([listener(url, { now: [] }).then((ws) => (ws.close(), true), () => false), Bun.sleep(5000).then(() => false)]);
    const report: AbuseReport = {
      clients: sockets.length,
      p99BeforeMs: p99(before),
      p99DuringMs: p99(during),
      missedTicks: ticks * sockets.length - received,
      abuser: abuse,
      admittedAfter: fresh,
      rssBeforeMb,
      rssAfterMb: rssMb(server.pid!),
    };
    for (const ws of sockets) ws.close();
    return report;
  } finally {
    server.kill('SIGTERM');
    await Promise.race([exited, Bun.sleep(8000)]);
    if (server.exitCode === null) server.kill('SIGKILL');
    void hooks.stop(true);
  }
}

/** What a run must show: latency kept, nothing missed, the abuse refused where it should be, memory bounded. */
export function judgeAbuse(r: AbuseReport): string[] {
  const problems: string[] = [];
  if (!(r.p99DuringMs <= Math.max(4 * r.p99BeforeMs, r.p99BeforeMs + 100))) problems.push(`normal clients' p99 went from ${r.p99BeforeMs} ms to ${r.p99DuringMs} ms`);
  if (r.missedTicks > 0) problems.push(`${r.missedTicks} ticks never reached a normal client`);
  if (!r.admittedAfter) problems.push('a new client could not connect after the abuse');
  if (!(Number(r.abuser.channelsSubscribed) <= 100 && Number(r.abuser.channelsRefused) > 0)) problems.push(`one socket held ${r.abuser.channelsSubscribed} channels (${r.abuser.channelsRefused} refused)`);
  if (r.abuser.uploadStatuses !== '401,401,401,401,401,401') problems.push(`unsigned uploads got ${r.abuser.uploadStatuses}`);
  if (Number(r.abuser.malformed400) !== Number(r.abuser.malformedSent)) problems.push(`malformed paths: ${r.abuser.malformed400} of ${r.abuser.malformedSent} got 400`);
  if (r.rssAfterMb > r.rssBeforeMb + 150) problems.push(`RSS grew from ${r.rssBeforeMb.toFixed(1)} to ${r.rssAfterMb.toFixed(1)} MB`);
  return problems;
}

// -- The abuser: run as its own process so its work does not skew the latency measured above. --

async function abuse(url: string, ms: number): Promise<Record<string, number | string>> {
  const http = url.replace(/^ws/, 'http');
  const end = Date.now() + ms;
  const out: Record<string, number | string> = {};
  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${url}/app/${APP.key}?protocol=7`);
      ws.on('error', reject);
      ws.once('message', () => resolve(ws));
    });

  /** Close codes the server gave a pattern's sockets, e.g. '4303x20' (none: ''). */
  const closes = (sockets: WebSocket[]) => {
    const codes = new Map<number, number>();
    for (const ws of sockets) ws.once('close', (code) => codes.set(code, (codes.get(code) ?? 0) + 1));
    return () => [...codes].map(([code, n]) => `${code}x${n}`).join(',');
  };

  // 1. One socket asks for 150,000 public channels (until the server closes it).
  const flood = async () => {
    const ws = await open();
    const closed = closes([ws]);
    let refused = 0;
    let ok = 0;
    let sent = 0;
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.includes('LimitReached')) refused++;
      else if (text.includes('subscription_succeeded')) ok++;
    });
    for (let i = 0; i < 150_000 && Date.now() < end && ws.readyState === WebSocket.OPEN; i++, sent++) {
      ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `flood-${i}` } }));
      if (i % 1000 === 999) await Bun.sleep(1);
    }
    await Bun.sleep(500);
    Object.assign(out, { channelsSubscribed: ok, channelsRefused: refused, floodSent: sent, floodClosed: closed() });
    ws.close();
  };
  // 2. Six unsigned chunked 120 MB uploads to the HTTP API (only the public app id needed).
  const uploads = async () => {
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 120 * 1024 * 1024) return controller.close();
            sent += 1024 * 1024;
            controller.enqueue(new Uint8Array(1024 * 1024));
          },
        });
        return (await fetch(`${http}/apps/${APP.id}/events`, { method: 'POST', body }).catch(() => ({ status: 0 }))).status;
      }),
    );
    out.uploadStatuses = statuses.join(',');
  };
  // 3. Sockets of 100 channels each, every channel counted (subscriptionCount), churned.
  const counted = async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, open));
    const closed = closes(sockets);
    let rounds = 0;
    while (Date.now() < end) {
      for (const [s, ws] of sockets.entries()) for (let c = 0; c < 100; c++) ws.send(JSON.stringify({ event: rounds % 2 ? 'pusher:unsubscribe' : 'pusher:subscribe', data: { channel: `counted-${s}-${c}` } }));
      rounds++;
      await Bun.sleep(200);
    }
    Object.assign(out, { countedRounds: rounds, countedClosed: closed() });
    for (const ws of sockets) ws.close();
  };
  // 4. A subscribe/unsubscribe loop on empty cache channels (cache_miss webhooks; the receiver is down).
  const misses = async () => {
    const ws = await open();
    const closed = closes([ws]);
    let loops = 0;
    while (Date.now() < end) {
      for (let i = 0; i < 50; i++, loops++) {
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `cache-empty-${loops % 500}` } }));
        ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: `cache-empty-${loops % 500}` } }));
      }
      await Bun.sleep(10);
    }
    Object.assign(out, { cacheMissLoops: loops, missesClosed: closed() });
    ws.close();
  };
  // 5. Malformed percent-escapes in /app/{key} upgrades and /apps/{id} paths.
  const malformed = async () => {
    let sent = 0;
    let refused = 0;
    const headers = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };
    for (let i = 0; i < 50; i++) {
      for (const [path, init] of [['/app/%E0%A4%A', { headers }], ['/apps/%E0%A4%A/channels', {}]] as const) {
        sent++;
        if ((await fetch(`${http}${path}`, init).catch(() => ({ status: 0 }))).status === 400) refused++;
      }
    }
    Object.assign(out, { malformedSent: sent, malformed400: refused });
  };
  const patterns = { flood, uploads, counted, misses, malformed };
  const chosen = (process.env.ODY_ABUSE ?? Object.keys(patterns).join(',')).split(',') as (keyof typeof patterns)[];
  await Promise.all(chosen.map((name) => patterns[name]().catch((error) => (out.error = String(error)))));
  return out;
}

if (import.meta.main && process.argv[2] === '--abuser') {
  console.log(JSON.stringify(await abuse(process.argv[3]!, Number(process.argv[4]))));
  process.exit(0);
}
