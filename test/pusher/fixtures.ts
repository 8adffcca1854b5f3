// The clusters the Pusher suite runs on (1 worker, 2 workers over IPC, 2 nodes on a real Redis), each the compiled
// binary with one app whose webhooks go to a receiver in the test; and clients: pusher-js, the pusher SDK, raw sockets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Pusher from 'pusher-js';
import PusherSdk from 'pusher';
import { project, startOdy, type Ody, ensureBinary } from '../helpers/binary';
import { startRedis, type TestRedis } from '../helpers/redis';

export const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

export interface Hook {
  headers: Record<string, string>;
  body: string;
  events: Record<string, any>[];
}

/** A webhook receiver on port 0: records every request; `fail` makes the next n answer 500. */
export function receiver() {
  const hooks: Hook[] = [];
  let failNext = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = await request.text();
      if (failNext > 0) {
        failNext--;
        return new Response('nope', { status: 500 });
      }
      hooks.push({ headers: Object.fromEntries(request.headers), body, events: JSON.parse(body).events });
      return new Response('ok');
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hooks`,
    hooks,
    fail: (n: number) => void (failNext = n),
    /** Every event received so far about `channel`. */
    about: (channel: string) => hooks.flatMap((h) => h.events).filter((e) => e.channel === channel),
    stop: () => server.stop(true),
  };
}

export type Mode = '1 worker' | '2 workers' | '2 nodes on redis';
export const MODES: Mode[] = ['1 worker', '2 workers', '2 nodes on redis'];

export interface Cluster extends AsyncDisposable {
  mode: Mode;
  /** ws:// base URLs, one per process that accepts connections (workers share one). */
  urls: string[];
  /** Node ids that hold connections; a test wants clients on each. */
  nodes: number;
  sdk: PusherSdk;
  output(): string;
  /** SIGKILLs the process serving node `node` (a worker, or a Redis node): it says nothing to the others. */
  kill(node: number): Promise<void>;
  /** Redis only: starts one more node, late, and returns its URL (also added to `urls`). */
  addNode(): Promise<string>;
  /** Redis only: the server, to kill and restart. */
  redis?: TestRedis;
  /** Redis only: the process serving node `node`, to pause (SIGSTOP) or signal. */
  procOf(node: number): Bun.Subprocess;
}

const config = (workers: number, hookUrl: string, adapter = '', extra = '') => `
import { defineConfig } from '@ody/websocket-server';
export default defineConfig({
  port: 0,
  apps: [{ id: '${APP.id}', key: '${APP.key}', secret: '${APP.secret}', activityTimeout: 2, webhooks: [{ url: '${hookUrl}' }] ${extra} }],
  ${adapter}
  additional: { workerNum: ${workers}, logLevel: 'info', shutdownTimeout: 2 },
});
`;

/** `extra`: more app fields; `adapterExtra`: more adapter fields (redis mode), e.g. `requestTimeout: 8000`. */
export async function startCluster(mode: Mode, hookUrl: string, extra = '', adapterExtra = ''): Promise<Cluster> {
  ensureBinary();
  const odys: Ody[] = [];
  const dirs: string[] = [];
  let redis: TestRedis | undefined;
  let adapter = '';
  const start = async (text: string) => {
    dirs.push(project({ 'config/websockets.ts': text }));
    odys.push(await startOdy(['websocket', 'start'], dirs.at(-1)!));
  };
  if (mode === '2 nodes on redis') {
    redis = await startRedis();
    adapter = `adapter: { driver: 'redis', url: '${redis.url}', prefix: 'pusher', ${adapterExtra} },`;
    for (let i = 0; i < 2; i++) await start(config(1, hookUrl, adapter, extra));
  } else {
    await start(config(mode === '2 workers' ? 2 : 1, hookUrl, '', extra));
  }
  const sdkFor = (ody: Ody) => new PusherSdk({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: new URL(ody.url).port, useTLS: false });
  const cluster: Cluster = {
    mode,
    urls: odys.map((o) => o.url),
    nodes: mode === '1 worker' ? 1 : 2,
    sdk: sdkFor(odys[0]!),
    output: () => odys.map((o) => o.output()).join('\n'),
    redis,
    procOf(node) {
      const ody = odys.find((o) => o.output().includes(`redis adapter up: node ${node},`));
      if (!ody) throw new Error(`no process serves node ${node}`);
      return ody.proc;
    },
    async kill(node) {
      if (mode === '2 workers') {
        // Workers get node ids 1, 2 in index order at start; the pid file lists their pids in that order.
        const pids = (JSON.parse(readFileSync(join(dirs[0]!, 'storage', 'ody_websockets.pid'), 'utf8')) as { workers: number[] }).workers;
        process.kill(pids[node - 1]!, 'SIGKILL');
        return;
      }
      const ody = odys.find((o) => o.output().includes(`redis adapter up: node ${node},`));
      if (!ody) throw new Error(`no process serves node ${node}`);
      ody.proc.kill('SIGKILL');
      await ody.proc.exited;
      cluster.sdk = sdkFor(odys.find((o) => o.proc.exitCode === null)!); // the API on a live node
    },
    async addNode() {
      if (!redis) throw new Error('addNode needs the redis mode');
      await start(config(1, hookUrl, adapter, extra));
      cluster.urls.push(odys.at(-1)!.url);
      return odys.at(-1)!.url;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(odys.map((o) => o.stop()));
      await redis?.[Symbol.asyncDispose]();
    },
  };
  return cluster;
}

export interface Client {
  pusher: Pusher;
  socketId: string;
  /** The node id in the socket id (its low part; 0.n on one process means node 0). */
  node: number;
  /** Events seen on subscribed channels, as "channel event data-json", in order (member events included). */
  seen: string[];
}

/** A pusher-js client signing as `user` (for presence) with the server SDK, as an app's auth endpoint would. */
export async function client(url: string, sdk: PusherSdk, user = 'anon', info: Record<string, unknown> = { name: user }, watchlist?: string[]): Promise<Client> {
  const u = new URL(url);
  const pusher = new Pusher(APP.key, {
    wsHost: u.hostname, wsPort: Number(u.port), forceTLS: false, enabledTransports: ['ws'], disableStats: true, cluster: 'mt1',
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (e: Error | null, a: unknown) => void) =>
        callback(null, channelName.startsWith('presence-') ? sdk.authorizeChannel(socketId, channelName, { user_id: user, user_info: info }) : sdk.authorizeChannel(socketId, channelName)),
    } as never,
    userAuthentication: { customHandler: ({ socketId }: { socketId: string }, callback: (e: Error | null, a: unknown) => void) => callback(null, sdk.authenticateUser(socketId, { id: user, ...(watchlist ? { watchlist } : {}) })) } as never,
  });
  const seen: string[] = [];
  await waitFor(() => pusher.connection.state === 'connected', 'connected');
  const socketId = pusher.connection.socket_id;
  return { pusher, socketId, node: Number(socketId.split('.')[1]), seen };
}

/** Clients (users given) placed so that, when the cluster has two nodes, the first two sit on different nodes. */
export async function spread(c: Cluster, users: string[], watchlists: Record<string, string[]> = {}): Promise<Client[]> {
  const out: Client[] = [];
  const spare: Client[] = [];
  for (const [i, user] of users.entries()) {
    for (let tries = 0; ; tries++) {
      const candidate = await client(c.urls[i % c.urls.length]!, c.sdk, user, { name: user }, watchlists[user]);
      const wantOther = i === 1 && c.nodes > 1;
      if (!wantOther || candidate.node !== out[0]!.node || tries > 40) {
        out.push(candidate);
        break;
      }
      spare.push(candidate);
    }
  }
  for (const s of spare) s.pusher.disconnect();
  if (c.nodes > 1 && out.length > 1 && out[0]!.node === out[1]!.node) throw new Error('could not place clients on two nodes');
  return out;
}

export async function subscribed(cl: Client, channel: string): Promise<any> {
  const ch = cl.pusher.subscribe(channel);
  ch.bind_global((event: string, data: unknown) => {
    if (!event.startsWith('pusher:') || event.startsWith('pusher:member_')) cl.seen.push(`${channel} ${event} ${JSON.stringify(data)}`);
  });
  const { promise, resolve, reject } = Promise.withResolvers<any>();
  ch.bind('pusher:subscription_succeeded', resolve);
  ch.bind('pusher:subscription_error', (e: unknown) => reject(new Error(`subscription_error ${JSON.stringify(e)}`)));
  const timer = setTimeout(() => reject(new Error(`no subscription to ${channel}`)), 8000);
  const result = await promise.finally(() => clearTimeout(timer));
  ch.unbind('pusher:subscription_succeeded');
  return result;
}

export async function signedIn(cl: Client): Promise<Client> {
  cl.pusher.signin();
  await cl.pusher.user.signinDonePromise;
  return cl;
}

/** A signed-in client whose watchlist events are recorded as "online a,b" / "offline c". */
export async function watcher(url: string, c: Cluster, user: string, watchlist: string[]): Promise<Client> {
  const cl = await client(url, c.sdk, user, { name: user }, watchlist);
  for (const name of ['online', 'offline']) cl.pusher.user.watchlist.bind(name, (e: { name: string; user_ids: string[] }) => cl.seen.push(`${e.name} ${[...e.user_ids].sort().join(',')}`));
  return signedIn(cl);
}

/** The webhook events received about `channel`, as "member_added bob" / "channel_occupied". */
export const hookNames = (hooks: ReturnType<typeof receiver>, channel: string) => hooks.about(channel).map((e) => `${e.name}${e.user_id ? ` ${e.user_id}` : ''}`);

/** Each node's adapter as its /_ody/stats shows it: link state and live peers (outage tests wait on them). */
export async function adapters(c: Cluster): Promise<{ state: string; peers: number }[]> {
  const headers = { 'x-api-key': '123123123' };
  return Promise.all(c.urls.map(async (u) => ((await (await fetch(`${u.replace(/^ws/, 'http')}/_ody/stats`, { headers })).json()) as { adapter: { state: string; peers: number } }).adapter));
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
