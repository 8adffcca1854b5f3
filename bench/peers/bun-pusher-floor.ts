// Raw Bun.serve Pusher floor for the benchmark: the fastest plain server serving what the Pusher scenarios use.
// Usage: bun bench/peers/bun-pusher-floor.ts --port N
// WebSockets on /app/{key} get connection_established and may subscribe to public channels; a signed
// POST /apps/{id}/events is checked like ody checks it (key, timestamp window, body_md5, HMAC), then its
// frame is serialized once and published natively with server.publish.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { PUSHER_APP } from '../lib/pusher-app';
import { pathOf } from './path';

const argv = process.argv.slice(2);
const i = argv.indexOf('--port');
const port = Number(i >= 0 ? argv[i + 1] : '9502');

const WS_PATH = `/app/${PUSHER_APP.key}`;
const API_PATH = `/apps/${PUSHER_APP.id}/events`;
// A public channel name; private-, presence- and encrypted channels need auth this floor does not implement.
const PUBLIC = /^(?!private-|presence-)[A-Za-z0-9_\-=@,.;]{1,164}$/;

type Data = { n: number };
let connections = 0;

/** Why the request is not signed by the app, or null. Same checks as ody's checkSignature, by string scan. */
function unsigned(url: string, body: string): string | null {
  let signature = '';
  const params: [string, string][] = [];
  for (const pair of url.slice(url.indexOf('?') + 1).split('&')) {
    const eq = pair.indexOf('=');
    const k = (eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    if (k === 'auth_signature') signature = v;
    else params.push([k, v]);
  }
  const get = (k: string) => params.find(([n]) => n === k)?.[1];
  if (get('auth_key') !== PUSHER_APP.key) return 'auth_key does not match the app';
  if (!(Math.abs(Date.now() / 1000 - Number(get('auth_timestamp'))) <= 600)) return 'auth_timestamp missing or out of the 600 s window';
  if ((get('auth_version') ?? '1.0') !== '1.0') return 'auth_version must be 1.0';
  if (get('body_md5') !== createHash('md5').update(body).digest('hex')) return 'body_md5 does not match the body';
  const sorted = params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const want = Buffer.from(createHmac('sha256', PUSHER_APP.secret).update(`POST\n${API_PATH}\n${sorted}`).digest('hex'));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want) ? null : 'Invalid signature';
}

async function trigger(req: Request, srv: Bun.Server<Data>): Promise<Response> {
  const body = await req.text();
  const why = unsigned(req.url, body);
  if (why) return Response.json({ error: why }, { status: 401 });
  let e: { name?: unknown; data?: unknown; channels?: unknown; channel?: unknown };
  try {
    e = JSON.parse(body);
  } catch {
    return Response.json({ error: 'Body must be JSON' }, { status: 400 });
  }
  const channels = e.channels ?? [e.channel];
  if (typeof e.name !== 'string' || typeof e.data !== 'string' || !Array.isArray(channels) || !channels.every((c) => typeof c === 'string')) {
    return Response.json({ error: 'name, data (strings) and channels are required' }, { status: 400 });
  }
  if (e.data.length > 10240) return Response.json({ error: 'data larger than 10240 bytes' }, { status: 413 });
  for (const channel of channels as string[]) srv.publish(channel, JSON.stringify({ event: e.name, channel, data: e.data }));
  return Response.json({});
}

Bun.serve<Data>({
  port,
  hostname: '127.0.0.1',
  fetch(req, srv) {
    const path = pathOf(req.url);
    if (path === WS_PATH) {
      if (srv.upgrade(req, { data: { n: ++connections } })) return;
      return new Response('Bad WebSocket handshake\n', { status: 400 });
    }
    if (path === API_PATH && req.method === 'POST') return trigger(req, srv);
    return new Response('not found', { status: 404 });
  },
  websocket: {
    maxPayloadLength: 1 << 20,
    open(ws) {
      // Same bytes as ody's frame(): data is a JSON string; the socket id "0.n" needs no escaping.
      ws.send(`{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"0.${ws.data.n}\\",\\"activity_timeout\\":30}"}`);
    },
    message(ws, msg) {
      let m: { event?: unknown; data?: { channel?: unknown } };
      try {
        m = JSON.parse(String(msg));
      } catch {
        return;
      }
      if (m.event === 'pusher:ping') return void ws.send('{"event":"pusher:pong","data":{}}');
      if (m.event !== 'pusher:subscribe') return;
      const channel = m.data?.channel;
      if (typeof channel !== 'string' || !PUBLIC.test(channel)) {
        return void ws.send(JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type: 'AuthError', error: 'public channels only', status: 401 } }));
      }
      ws.subscribe(channel);
      ws.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' }));
    },
  },
});
