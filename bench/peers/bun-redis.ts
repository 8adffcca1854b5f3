// Raw Bun.serve + Redis relay peer: the floor for nodes on their own ports joined by Redis pub/sub (/echo, /sub, /pub).
// Usage: bun bench/peers/bun-redis.ts --port N --redis redis://127.0.0.1:P
// A /pub message goes to this node's subscribers with server.publish and to Redis channel
// `bench`; every node publishes locally what other nodes sent. One channel for all nodes, so
// each message carries its origin and a node drops its own when Redis hands it back.
import { pathOf } from './path';
import { RedisClient } from 'bun';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const port = Number(arg('port', '9502'));
const url = arg('redis', 'redis://127.0.0.1:6379');
const CHANNEL = 'bench';

// What a node relays in one event-loop turn goes to Redis as one PUBLISH (as ody's adapter does): 8 characters of
// origin (this pid, base 36), then each message as its type ('t' text, 'b' binary as latin1, since Bun's publish
// takes strings), its length, ':' and its body. Checked with startsWith, cut with slice.
const ORIGIN = process.pid.toString(36).padStart(8, '0');

type Data = { path: string };

const out = new RedisClient(url);
await out.connect();
// A subscribed connection can't publish, hence the second one.
const inbound = await out.duplicate();

let server: ReturnType<typeof Bun.serve<Data>> | null = null;
await inbound.subscribe(CHANNEL, (message) => {
  if (message.startsWith(ORIGIN)) return;
  for (let i = ORIGIN.length; i < message.length; ) {
    const colon = message.indexOf(':', i + 1);
    const end = colon + 1 + Number(message.slice(i + 1, colon));
    const body = message.slice(colon + 1, end);
    server?.publish(CHANNEL, message.charCodeAt(i) === 98 /* 'b' */ ? Buffer.from(body, 'latin1') : body);
    i = end;
  }
});

let batch = '';
let flushing = false;
function flush() {
  flushing = false;
  // No catch: a lost Redis ends the run with an unhandled rejection, which the bench reports.
  void out.publish(CHANNEL, ORIGIN + batch);
  batch = '';
}

function relay(msg: string | Buffer) {
  server!.publish(CHANNEL, msg);
  const body = typeof msg === 'string' ? msg : msg.toString('latin1');
  batch += `${typeof msg === 'string' ? 't' : 'b'}${body.length}:${body}`;
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

// Listening only once the subscription is live, so "answers HTTP" means "receives from other nodes".
server = Bun.serve<Data>({
  port,
  hostname: '127.0.0.1',
  fetch(req, srv) {
    if (srv.upgrade(req, { data: { path: pathOf(req.url) } })) return;
    return new Response('not found', { status: 404 });
  },
  websocket: {
    maxPayloadLength: 1 << 20,
    open(ws) {
      if (ws.data.path === '/sub') ws.subscribe(CHANNEL);
    },
    message(ws, msg) {
      if (ws.data.path === '/pub') relay(msg);
      else ws.send(msg);
    },
  },
});
