// The clusters the conformance suite runs on: one process (memory), three workers (ipc), three nodes on Redis.
// Each runs the real binary with the same controller, so the suite sees only what a user's code would.
import { ensureBinary, project, startOdy, type Ody } from '../helpers/binary';
import { open, type TestClient } from '../helpers/client';
import { startRedis, type TestRedis } from '../helpers/redis';

export const CONTROLLER = `
import type { Frame, WsServer, Handshake } from '@ody/websocket-server';
export class Ctl {
  onHandshake(request: Request, hs: Handshake) {
    const q = new URL(request.url).searchParams;
    if (q.has('big')) hs.data.id = 12345678901234567890n;
    if (q.has('cycle')) { const o: Record<string, unknown> = { name: 'loop' }; o.self = o; hs.data.o = o; }
  }
  async onMessage(server: WsServer, f: Frame) {
    const [cmd, a = '', ...rest] = String(f.data).split(' ');
    const text = rest.join(' ');
    const reply = (v: object) => server.push(f.fd, JSON.stringify({ r: cmd, ...v }));
    const c = server.cluster;
    switch (cmd) {
      case 'whoami': return reply({ fd: f.fd, node: server.getClientInfo(f.fd)!.node, worker: server.worker, pid: process.pid });
      case 'push': return reply({ ok: server.push(Number(a), text) });
      case 'bcast': return void server.broadcast([a, text].join(' ').trim(), { except: f.fd });
      case 'sub': return reply({ ok: server.subscribe(Number(a), text) });
      case 'pub': return void server.publish(a, text);
      case 'kick': return reply({ ok: server.disconnect(Number(a), 4000, text) });
      case 'ask': {
        const fd = Number(text);
        const info = await c.getClientInfo(fd);
        return reply({
          count: await c.count(), connections: (await c.connections()).sort((x, y) => x - y), subscribers: await c.subscriberCount(a),
          topics: await c.topics(), established: await c.isEstablished(fd), exist: await c.exist(fd),
          info: info && { fd: info.fd, node: info.node, data: Object.fromEntries(Object.entries(info.data).map(([k, v]) => [k, typeof v === 'bigint' ? 'bigint:' + v : v])) },
          nodes: (await c.stats()).nodes,
        });
      }
    }
  }
}
`;

const config = (workers: number, adapter = '') => `
import { defineConfig, Event } from '@ody/websocket-server';
import { Ctl } from '../Ctl';
export default defineConfig({
  port: 0,
  callbacks: { [Event.ON_HAND_SHAKE]: [Ctl, 'onHandshake'], [Event.ON_MESSAGE]: [Ctl, 'onMessage'] },
  ${adapter}
  additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 2 },
});
`;

export interface Who {
  fd: number;
  node: number;
  worker: number;
  pid: number;
}

export interface Member {
  client: TestClient;
  who: Who;
}

export interface Fixture extends AsyncDisposable {
  name: string;
  /** How many nodes hold connections. */
  nodes: number;
  /** An HTTP base URL for /_ody on some node. */
  http: string;
  /** Clients with at least `perNode` on every node. */
  spread(perNode?: number, query?: string): Promise<Member[]>;
  /** A client on a node started after the others (not among `known` pids); it must see everyone. */
  late(known: Set<number>): Promise<Member>;
  output(): string;
  redis?: TestRedis;
}

export async function whoami(client: TestClient): Promise<Who> {
  client.send('whoami');
  return (await reply(client, 'whoami')) as unknown as Who;
}

/** The next reply to `cmd`, skipping relayed messages. */
export async function reply(client: TestClient, cmd: string): Promise<Record<string, unknown>> {
  for (;;) {
    const text = String(await client.next(10_000));
    if (text.startsWith('{')) {
      const parsed = JSON.parse(text);
      if (parsed.r === cmd) return parsed;
    }
  }
}

async function join(url: string, n: number, query = ''): Promise<Member> {
  const client = await open(`${url}/${query}`, n % 2 ? { lib: 'ws' } : {});
  return { client, who: await whoami(client) };
}

/** Opens clients on `urls` (round robin) until every one of `nodes` node ids holds perNode of them. */
async function fill(urls: string[], nodes: number, perNode: number, query = ''): Promise<Member[]> {
  const members: Member[] = [];
  const held = () => {
    const byNode = new Map<number, number>();
    for (const m of members) byNode.set(m.who.node, (byNode.get(m.who.node) ?? 0) + 1);
    return members.length >= 2 && byNode.size >= nodes && [...byNode.values()].every((n) => n >= perNode);
  };
  while (!held()) {
    if (members.length > 40 * nodes * perNode) throw new Error('connections never reached every node');
    members.push(await join(urls[members.length % urls.length]!, members.length, query));
  }
  return members;
}

export async function memoryFixture(): Promise<Fixture> {
  ensureBinary();
  const dir = project({ 'config/websockets.ts': config(1), 'Ctl.ts': CONTROLLER });
  const ody = await startOdy(['websocket', 'start'], dir);
  return {
    name: 'memory', nodes: 1, http: ody.http, output: ody.output,
    spread: (perNode = 1, query) => fill([ody.url], 1, perNode, query),
    late: () => Promise.reject(new Error('one node only')),
    [Symbol.asyncDispose]: async () => void (await ody.stop()),
  };
}

export async function ipcFixture(): Promise<Fixture> {
  ensureBinary();
  const dir = project({ 'config/websockets.ts': config(3), 'Ctl.ts': CONTROLLER });
  const ody = await startOdy(['websocket', 'start'], dir);
  return {
    name: 'ipc', nodes: 3, http: ody.http, output: ody.output,
    spread: (perNode = 1, query) => fill([ody.url], 3, perNode, query),
    // A killed worker comes back as a new node (new pid, new node id): find a connection that landed on it.
    async late(known) {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        // While the killed worker's socket leaves the port group, a connection can still be cut: try again.
        const m = await join(ody.url, 0).catch(() => undefined);
        if (m && !known.has(m.who.pid)) return m;
        m?.client.close();
        await Bun.sleep(20);
      }
      throw new Error('no connection reached a new worker');
    },
    [Symbol.asyncDispose]: async () => void (await ody.stop()),
  };
}

/**
 * Three machines on one Redis: separate processes, folders (pid files) and ports. With `workers` > 1 each
 * machine runs that many workers, each a node of its own: 2 machines x 2 workers = 4 nodes.
 */
export async function redisFixture(workers = 1): Promise<Fixture> {
  ensureBinary();
  const redis = await startRedis();
  const adapter = `adapter: { driver: 'redis', url: '${redis.url}', prefix: 'conformance' },`;
  const startNode = () => startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config(workers, adapter), 'Ctl.ts': CONTROLLER }));
  const machines = workers > 1 ? 2 : 3;
  const total = machines * workers;
  const nodes: Ody[] = [];
  for (let i = 0; i < machines; i++) nodes.push(await startNode());
  const lateNodes: Ody[] = [];
  return {
    name: workers > 1 ? 'redis-workers' : 'redis', nodes: total, http: nodes[0]!.http, redis,
    output: () => [...nodes, ...lateNodes].map((n) => n.output()).join('\n'),
    spread: (perNode = 1, query) => fill(nodes.map((n) => n.url), total, perNode, query),
    async late() {
      const ody = await startNode();
      lateNodes.push(ody);
      return join(ody.url, 0);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([...nodes, ...lateNodes].map((n) => n.stop()));
      await redis[Symbol.asyncDispose]();
    },
  };
}
