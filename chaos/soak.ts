// `bun run soak -- --minutes N [--connections 10000] [--workers 2]`: holds N connections on a two-worker ody with
// churn (1% replaced every second) and traffic (echoes, cross-worker pushes, a broadcast and a publish every second),
// samples the server's RSS every 10 s and prints its slope over the run after warm-up. Loopback only, bounded.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureBinary, startOdy } from '../test/helpers/binary';

/** A flat server: RSS may rise by at most this much per 10 minutes once warmed up. */
export const SLOPE_BOUND_MB_PER_10MIN = 5;

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const minutes = arg('minutes', 5);
const target = arg('connections', 10_000);
const workers = arg('workers', 2);

const CONTROLLER = `
import type { Frame, OpenRequest, WsServer } from '@ody/websocket-server';
export class Soak {
  onOpen(server: WsServer, r: OpenRequest) { server.subscribe(r.fd, 'soak'); }
  onMessage(server: WsServer, f: Frame) {
    const text = String(f.data);
    if (text.startsWith('e')) server.push(f.fd, text);
    else if (text.startsWith('p ')) server.push(Number(text.split(' ')[1]), 'pushed');
    else if (text === 'b') server.broadcast('all');
    else if (text === 't') server.publish('soak', 'topic');
    else if (text === 'who') server.push(f.fd, 'fd ' + f.fd);
  }
}
`;
const dir = mkdtempSync(join(tmpdir(), 'soak-'));
for (const [name, text] of Object.entries({
  'config/websockets.ts': `import { defineConfig, Event } from '@ody/websocket-server';
import { Soak } from '../Soak';
export default defineConfig({ port: 0, callbacks: { [Event.ON_OPEN]: [Soak, 'onOpen'], [Event.ON_MESSAGE]: [Soak, 'onMessage'] }, additional: { workerNum: ${workers}, logLevel: 'info' } });
`,
  'Soak.ts': CONTROLLER,
})) {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
}

const ody = await startOdy(['websocket', 'start'], dir);
let known: number[] = [];
/** The primary and its workers (re-read: a restarted worker has a new pid); the last good answer if the file is gone. */
const pids = () => {
  try {
    const state = JSON.parse(readFileSync(join(dir, 'storage', 'ody_websockets.pid'), 'utf8')) as { pid: number; workers: number[] };
    known = [state.pid, ...state.workers];
  } catch {}
  return known;
};
const rssMb = () =>
  pids().reduce((sum, pid) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return sum;
    }
  }, 0);

interface Client {
  ws: WebSocket;
  fd: number;
}
const clients: Client[] = [];
let received = 0;
let opened = 0;
let failed = 0;

function connect(): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(ody.url);
    const client: Client = { ws, fd: 0 };
    ws.onopen = () => ws.send('who');
    ws.onmessage = (e) => {
      const text = String(e.data);
      if (text.startsWith('fd ')) {
        client.fd = Number(text.slice(3));
        clients.push(client);
        opened++;
        resolve();
      } else received++;
    };
    ws.onclose = () => {
      const i = clients.indexOf(client);
      if (i >= 0) clients.splice(i, 1);
      if (client.fd === 0) {
        failed++;
        resolve();
      }
    };
  });
}

const t0 = Date.now();
const say = (msg: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}`);
say(`opening ${target} connections to ${ody.url} (${workers} workers)`);
for (let i = 0; i < target; i += 200) await Promise.all(Array.from({ length: Math.min(200, target - i) }, connect));
say(`${clients.length} open, server RSS ${rssMb().toFixed(1)} MB`);

const samples: [number, number][] = [];
const end = Date.now() + minutes * 60_000;
let tick = 0;
while (Date.now() < end) {
  await Bun.sleep(1000);
  tick++;
  // Churn: 1% of the connections replaced.
  const churn = Math.max(1, Math.floor(target / 100));
  for (let i = 0; i < churn && clients.length > 0; i++) clients[Math.floor(Math.random() * clients.length)]!.ws.close();
  await Promise.all(Array.from({ length: Math.max(0, target - clients.length) }, connect));
  // Traffic: echoes and cross-worker pushes from 5% of the clients, one broadcast, one publish.
  for (let i = 0; i < target / 20 && clients.length > 1; i++) {
    const c = clients[Math.floor(Math.random() * clients.length)]!;
    const other = clients[Math.floor(Math.random() * clients.length)]!;
    c.ws.send(`e${tick}`);
    c.ws.send(`p ${other.fd}`);
  }
  clients[0]?.ws.send('b');
  clients[0]?.ws.send('t');
  if (tick % 10 === 0) {
    const rss = rssMb();
    samples.push([(Date.now() - t0) / 60_000, rss]);
    say(`${clients.length} open, ${opened} opened in all, ${failed} failed, ${received} messages received; server RSS ${rss.toFixed(1)} MB`);
  }
}

// Least-squares slope over the samples after the first 20% (allocator and JIT warm-up).
const used = samples.slice(Math.floor(samples.length / 5));
const n = used.length;
const mx = used.reduce((s, [x]) => s + x, 0) / n;
const my = used.reduce((s, [, y]) => s + y, 0) / n;
const slope = used.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / used.reduce((s, [x]) => s + (x - mx) ** 2, 0);
const per10 = slope * 10;
for (const c of clients) c.ws.close();
await ody.stop();
const summary = { minutes, connections: target, workers, opened, failed, received, samples, slopeMbPer10Min: Number(per10.toFixed(2)), boundMbPer10Min: SLOPE_BOUND_MB_PER_10MIN };
console.log(JSON.stringify(summary));
console.log(`${Math.abs(per10) <= SLOPE_BOUND_MB_PER_10MIN ? 'FLAT' : 'GROWING'}: RSS slope ${per10.toFixed(2)} MB per 10 min after warm-up (bound ${SLOPE_BOUND_MB_PER_10MIN}), ${failed} failed connects`);
process.exit(Math.abs(per10) <= SLOPE_BOUND_MB_PER_10MIN && n >= 2 ? 0 : 1);
