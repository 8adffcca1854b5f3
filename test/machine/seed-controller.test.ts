// Rule: the PHP package's example controller, unchanged, is right under any worker count: its onRequest loop over
// server.connections reaches every client of the machine, the synchronous questions and FdsTable answer for every
// worker, a closed fd is refused at once, and a worker killed with -9 leaves no ghost rows.
import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, project, ROOT, startOdy, type Ody } from '../helpers/binary';
import { open, type TestClient } from '../helpers/client';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const EXAMPLE = readFileSync(join(ROOT, 'examples/WebSocketController.ts'), 'utf8');

// A route that answers from whichever worker takes the request: what that worker sees of the whole machine.
const PROBE = `
import { ContextManager, type WsServer } from '@ody/websocket-server';
export async function probe(request: Request): Promise<Response> {
  const server = ContextManager.get('WsServer');
  const table = ContextManager.get('FdsTable');
  const url = new URL(request.url);
  if (url.searchParams.has('push')) return Response.json({ pushed: server.push(Number(url.searchParams.get('push')), 'probe') });
  const fds = [...server.connections].sort((a, b) => a - b);
  return Response.json({
    worker: server.worker, pid: process.pid, count: server.count(), fds, rows: table.count(),
    rowKeys: [...table.keys()].map(Number).sort((a, b) => a - b),
    names: fds.map((fd) => table.get(fd, 'name')),
    established: fds.map((fd) => server.isEstablished(fd) && server.exist(fd)),
    owners: fds.map((fd) => server.getClientInfo(fd)?.worker),
    addresses: fds.map((fd) => server.getClientInfo(fd)?.remoteAddress),
  });
}
`;

const config = (workers: number) => `
import { defineConfig, Event, Server } from '@ody/websocket-server';
import { WebSocketController } from '../app/WebSocketController';
import { probe } from '../app/probe';
export default defineConfig({
  port: 0,
  routes: { 'GET /probe': probe },
  callbacks: {
    [Event.ON_HAND_SHAKE]: [WebSocketController, 'onHandshake'],
    [Event.ON_OPEN]: [Server, 'onOpen'],
    [Event.ON_MESSAGE]: [WebSocketController, 'onMessage'],
    [Event.ON_CLOSE]: [Server, 'onClose'],
    [Event.ON_REQUEST]: [WebSocketController, 'onRequest'],
    [Event.ON_DISCONNECT]: [WebSocketController, 'onDisconnect'],
  },
  additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 2 },
});
`;

interface Probe { worker: number; pid: number; count: number; fds: number[]; rows: number; rowKeys: number[]; names: string[]; established: boolean[]; owners: number[]; addresses: string[] }

/**
 * Asks on a fresh TCP connection each time, so the kernel spreads the questions over the workers. Right after a
 * kill -9, a connection the kernel had queued for the dead worker is reset: that one is asked again.
 */
async function probe(ody: Ody, query = ''): Promise<Probe> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${ody.http}/probe${query}`, { headers: { connection: 'close' }, keepalive: false });
      return (await response.json()) as Probe;
    } catch (error) {
      if (attempt === 5 || (error as { code?: string }).code !== 'ECONNRESET') throw error;
    }
  }
}

/** A probe answered by each worker (by index), asking until all have answered (or 200 questions went unanswered by some). */
async function probeEveryWorker(ody: Ody, workers: number): Promise<Probe[]> {
  const seen = new Map<number, Probe>();
  for (let i = 0; i < 200 && seen.size < workers; i++) {
    const p = await probe(ody);
    seen.set(p.worker, p);
  }
  return [...seen.values()];
}

/** Opens clients until at least 10 are open and at least two workers hold some. */
async function openClients(ody: Ody): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < 40; i++) {
    clients.push(await open(ody.url, i % 2 ? { lib: 'ws' } : {}));
    if (clients.length < 10) continue;
    const p = await probe(ody);
    if (p.count === clients.length && new Set(p.owners).size >= 2) break;
  }
  return clients;
}

for (const workers of [2, 4]) {
  describe(`${workers} workers`, () => {
    test('the onRequest loop reaches every client; every worker answers for the whole machine; kill -9 leaves no ghosts', async () => {
      const dir = project({ 'app/WebSocketController.ts': EXAMPLE, 'app/probe.ts': PROBE, 'config/websockets.ts': config(workers) });
      await using ody = await startOdy(['websocket', 'start'], dir);
      const clients = await openClients(ody);
      const n = clients.length;
      let all: Probe[] = [];
      await until(async () => (all = await probeEveryWorker(ody, workers)).length === workers && all.every((p) => p.count === n && p.rows === n), `every worker counts ${n}`, 10_000);
      const fds = all[0]!.fds;
      expect(fds.length).toBe(n);
      for (const p of all) {
        expect({ count: p.count, fds: p.fds, rows: p.rows, rowKeys: p.rowKeys, established: p.established.every(Boolean) }).toEqual({ count: n, fds, rows: n, rowKeys: fds, established: true });
        expect(p.names).toEqual(fds.map((fd) => `Client-${String(fd).padStart(6, '0')}`));
        expect(p.owners).toEqual(all[0]!.owners); // the same owner, whichever worker is asked
        expect(new Set(p.addresses)).toEqual(new Set(['127.0.0.1']));
      }
      expect(new Set(all[0]!.owners).size).toBeGreaterThanOrEqual(2);

      // The seed's onRequest: six HTTP requests, each answered by one worker, each reaching all n clients (requests
      // answered by different workers may arrive in either order: the 200 does not wait for other workers).
      for (let i = 0; i < 6; i++) {
        const res = await fetch(ody.http, { method: 'POST', body: `note ${i}`, headers: { connection: 'close' }, keepalive: false });
        expect(res.status).toBe(200);
      }
      for (const c of clients) expect((await Promise.all([0, 1, 2, 3, 4, 5].map(() => c.next()))).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `note ${i}`));

      // A closed fd: push says false at once, from any worker.
      const closedFd = fds[0]!;
      expect(await probe(ody, `?push=${closedFd}`)).toEqual({ pushed: true } as never);
      let holder = -1;
      await until(() => (holder = clients.findIndex((c) => c.messages.includes('probe'))) >= 0, 'the probe push arrives');
      clients[holder]!.close();
      await until(async () => (await probe(ody)).count === n - 1, 'close seen');
      const afterClose = await probeEveryWorker(ody, workers);
      expect(afterClose.length).toBe(workers);
      for (const p of afterClose) expect([p.fds.includes(closedFd), p.rows]).toEqual([false, n - 1]);
      for (let i = 0; i < 2 * workers; i++) expect(await probe(ody, `?push=${closedFd}`)).toEqual({ pushed: false } as never);

      // kill -9 of a worker: its connections leave every table before its replacement serves.
      const owners = all[0]!.owners;
      const victimIndex = owners.find((_, i) => fds[i] !== closedFd)!;
      const victim = all.find((p) => p.worker === victimIndex)!;
      const lost = fds.filter((fd, i) => fd !== closedFd && owners[i] === victimIndex);
      expect(lost.length).toBeGreaterThan(0);
      process.kill(victim.pid, 'SIGKILL');
      const left = n - 1 - lost.length;
      let after: Probe[] = [];
      await until(async () => (after = await probeEveryWorker(ody, workers)).length === workers && after.every((p) => p.count === left && p.rows === left && p.pid !== victim.pid), 'the dead worker left the tables and was replaced', 15_000);
      for (const p of after) {
        expect(p.fds.filter((fd) => lost.includes(fd))).toEqual([]);
        expect(p.rowKeys.filter((fd) => lost.includes(fd))).toEqual([]);
      }
      expect(await probe(ody, `?push=${lost[0]}`)).toEqual({ pushed: false } as never);
      for (const c of clients) c.close();
    }, 60_000);
  });
}
