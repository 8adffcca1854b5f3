// Raw Bun.serve peer for the benchmark: the floor ody is compared against (/echo, /sub, /pub).
// Usage: bun bench/peers/bun-raw.ts --port N [--workers 2]
// With --workers 2 a second process shares the port via reusePort; a publish is
// relayed to the sibling over Bun's IPC so subscribers on both processes get it.
import { pathOf } from './path';
const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const port = Number(arg('port', '9502'));
const workers = Number(arg('workers', '1'));
const isChild = process.env.BENCH_PEER_CHILD === '1';

type Data = { path: string };

let sibling: { send(m: unknown): void } | null = null;

const server = Bun.serve<Data>({
  port,
  hostname: '127.0.0.1',
  reusePort: workers > 1,
  fetch(req, srv) {
    if (srv.upgrade(req, { data: { path: pathOf(req.url) } })) return;
    return new Response('not found', { status: 404 });
  },
  websocket: {
    maxPayloadLength: 1 << 20,
    open(ws) {
      if (ws.data.path === '/sub') ws.subscribe('bench');
    },
    message(ws, msg) {
      if (ws.data.path === '/pub') {
        server.publish('bench', msg);
        sibling?.send(msg);
      } else {
        ws.send(msg);
      }
    },
  },
});

if (workers > 1 && !isChild) {
  const child = Bun.spawn([process.execPath, import.meta.path, ...argv], {
    env: { ...process.env, BENCH_PEER_CHILD: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
    ipc(msg) {
      server.publish('bench', msg as string);
    },
  });
  sibling = child;
  // Don't leave the sibling behind when the harness stops us by pid.
  const stop = () => {
    child.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (isChild) {
  sibling = { send: (m) => process.send?.(m) };
  process.on('message', (m) => server.publish('bench', m as string));
  // Exit with the parent so the pair never outlives a run.
  process.on('disconnect', () => process.exit(0));
}
