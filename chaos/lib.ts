// Chaos: a two-worker ody under sequence-numbered traffic while workers are killed, stopped and resumed, the server
// reloaded and its log rotated, then the whole process group terminated. Every message must arrive exactly once or
// its client must have seen a close; nothing is lost silently, nothing arrives twice. Loopback only, bounded.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';

const CONTROLLER = `
import type { Frame, WsServer } from '@ody/websocket-server';
export class Chaos {
  onMessage(server: WsServer, f: Frame) {
    const text = String(f.data);
    if (text === 'who') return void server.push(f.fd, 'fd ' + f.fd + ' ' + process.pid);
    if (text.startsWith('e ')) return void server.push(f.fd, 'a ' + text.slice(2));
    if (text.startsWith('p ')) { const [, to, body] = text.split(' '); return void server.push(Number(to), 'm ' + body); }
  }
}
`;
const CONFIG = `
import { defineConfig, Event } from '@ody/websocket-server';
import { Chaos } from '../Chaos';
export default defineConfig({ port: 0, callbacks: { [Event.ON_MESSAGE]: [Chaos, 'onMessage'] }, additional: { workerNum: 2, logLevel: 'info', shutdownTimeout: 3 } });
`;

export interface ChaosOptions {
  binary: string;
  seconds: number;
  clients: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  sent: number;
  delivered: number;
  /** Messages whose connection (or the partner's) closed before the answer: allowed, the client knows. */
  coveredByClose: number;
  lost: number;
  duplicated: number;
  faults: string[];
  closeCodesAtStop: Record<string, number>;
  rssBeforeMb: number;
  rssAfterMb: number;
  exitCode: number | null;
}

interface Conn {
  ws: WebSocket;
  fd: number;
  pid: number;
  closed: boolean;
  code?: number;
  /** seq -> waiting for its echo */
  pending: Set<number>;
}

const treeRss = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return sum;
    }
  }, 0);

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'ody-chaos-'));
  for (const [name, text] of Object.entries({ 'config/websockets.ts': CONFIG, 'Chaos.ts': CONTROLLER })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  // Its own process group, as systemd and a terminal run it: the final SIGTERM goes to every process at once.
  const server = spawn(options.binary, ['websocket', 'start'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', HOME: dir } });
  let output = '';
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  while (!/listening on (\S+)/.test(output)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`ody did not start: ${output}`);
    await Bun.sleep(20);
  }
  const url = /listening on (\S+)/.exec(output)![1]!;
  const state = () => JSON.parse(readFileSync(join(dir, 'storage', 'ody_websockets.pid'), 'utf8')) as { pid: number; workers: number[] };

  const report: ChaosReport = { sent: 0, delivered: 0, coveredByClose: 0, lost: 0, duplicated: 0, faults: [], closeCodesAtStop: {}, rssBeforeMb: 0, rssAfterMb: 0, exitCode: null };
  const conns: Conn[] = [];
  /** Cross-worker messages in flight: id -> the two connections it depends on. */
  const crossing = new Map<string, [Conn, Conn]>();
  const seen = new Set<string>();
  let stopping = false;

  const connect = (): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const conn: Conn = { ws, fd: 0, pid: 0, closed: false, pending: new Set() };
      ws.on('open', () => ws.send('who'));
      ws.on('error', () => {});
      ws.on('message', (raw) => {
        const [kind, a, b] = raw.toString().split(' ');
        if (kind === 'fd') {
          conn.fd = Number(a);
          conn.pid = Number(b);
          resolve(conn);
        } else if (kind === 'a') {
          if (conn.pending.delete(Number(a))) report.delivered++;
          else report.duplicated++;
        } else if (kind === 'm') {
          if (seen.has(a!) || !crossing.delete(a!)) report.duplicated++;
          else report.delivered++;
          seen.add(a!);
        }
      });
      ws.on('close', (code) => {
        conn.closed = true;
        conn.code = code;
        report.coveredByClose += conn.pending.size;
        conn.pending.clear();
        if (conn.fd === 0) reject(new Error(`closed before it said who it is (${code})`));
        if (stopping) return;
        // A client reconnects, as real ones do.
        const i = conns.indexOf(conn);
        setTimeout(() => void connect().then((c) => (conns[i] = c), () => {}), 50);
      });
    });

  for (let i = 0; i < options.clients; i++) conns.push(await connect());
  await Bun.sleep(300);
  const before = state();
  report.rssBeforeMb = treeRss([before.pid, ...before.workers]);

  let seq = 0;
  const traffic = setInterval(() => {
    for (const c of conns) {
      if (c.closed || c.ws.readyState !== WebSocket.OPEN) continue;
      const n = ++seq;
      c.pending.add(n);
      c.ws.send(`e ${n}`);
      report.sent++;
      // And one to a client on the other worker, through the adapter.
      const partner = conns.find((p) => p.pid !== c.pid && !p.closed);
      if (partner) {
        const id = `x${n}`;
        crossing.set(id, [c, partner]);
        c.ws.send(`p ${partner.fd} ${id}`);
        report.sent++;
      }
    }
  }, 10);

  const faults: (() => Promise<string>)[] = [
    async () => {
      const pid = state().workers[0]!;
      process.kill(pid, 'SIGKILL');
      return `kill -9 worker ${pid}`;
    },
    async () => {
      const pid = state().workers[1]!;
      process.kill(pid, 'SIGSTOP');
      await Bun.sleep(1000);
      process.kill(pid, 'SIGCONT');
      return `SIGSTOP worker ${pid} for 1 s, then SIGCONT`;
    },
    async () => {
      const proc = Bun.spawn([options.binary, 'websocket', 'reload'], { cwd: dir, stdout: 'pipe', stderr: 'pipe', env: { PATH: '/usr/bin:/bin' } });
      return `reload (exit ${await proc.exited})`;
    },
    async () => {
      process.kill(state().pid, 'SIGUSR2');
      return 'SIGUSR2 (log rotation)';
    },
  ];
  const end = Date.now() + options.seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    await Bun.sleep(700);
    const what = await faults[i % faults.length]!();
    report.faults.push(what);
    log(what);
  }
  clearInterval(traffic);
  await Bun.sleep(1500); // let everything in flight land
  const after = state();
  report.rssAfterMb = treeRss([after.pid, ...after.workers]);
  for (const [id, [from, to]] of crossing) {
    if (from.closed || to.closed) report.coveredByClose++;
    else {
      report.lost++;
      log(`lost ${id}`);
    }
  }
  for (const c of conns) {
    if (!c.closed) {
      report.lost += c.pending.size;
      if (c.pending.size) log(`fd ${c.fd}: ${c.pending.size} echoes never came`);
    }
  }

  stopping = true;
  process.kill(-server.pid!, 'SIGTERM'); // the whole group, as systemd's KillMode=control-group does
  const live = conns.filter((c) => !c.closed);
  await Promise.race([Promise.all(live.map((c) => new Promise<void>((r) => (c.closed ? r() : c.ws.once('close', () => r()))))), Bun.sleep(10_000)]);
  for (const c of live) report.closeCodesAtStop[String(c.code ?? 'open')] = (report.closeCodesAtStop[String(c.code ?? 'open')] ?? 0) + 1;
  report.exitCode = await Promise.race([exited, Bun.sleep(10_000).then(() => null)]);
  if (report.exitCode === null) process.kill(-server.pid!, 'SIGKILL');
  return report;
}
