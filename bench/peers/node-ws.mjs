// Node.js + `ws` peer for the benchmark: the common Node baseline ody is compared against.
// Usage: node bench/peers/node-ws.mjs --port N [--workers 2]
// Same paths as the other servers: /echo echoes, /sub subscribes, /pub fans out by looping
// over the subscribers. With --workers 2, node:cluster shares the port and the primary
// relays each publish to the other worker so every subscriber gets it.
import cluster from 'node:cluster';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const port = Number(arg('port', '9502'));
const workers = Number(arg('workers', '1'));

if (workers > 1 && cluster.isPrimary) {
  const kids = [];
  for (let i = 0; i < workers; i++) kids.push(cluster.fork());
  for (const kid of kids) {
    kid.on('message', (msg) => {
      for (const other of kids) if (other !== kid) other.send(msg);
    });
  }
  // The harness stops us by pid; take the workers down with us.
  const stop = () => {
    for (const kid of kids) kid.process.kill('SIGKILL');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve();
}

function serve() {
  const subs = new Set();
  const fanOut = (data, isBinary) => {
    for (const ws of subs) ws.send(data, { binary: isBinary });
  };
  const http404 = http.createServer((_req, res) => {
    res.writeHead(404);
    res.end('not found');
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, perMessageDeflate: false });
  http404.on('upgrade', (req, socket, head) => {
    // req.url is already the path (plus any query); cut at '?' without building an array.
    const url = req.url || '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path === '/sub') {
        subs.add(ws);
        ws.on('close', () => subs.delete(ws));
      }
      ws.on('message', (data, isBinary) => {
        if (path !== '/pub') return ws.send(data, { binary: isBinary });
        fanOut(data, isBinary);
        if (cluster.isWorker) process.send({ data: data.toString('latin1'), isBinary });
      });
    });
  });
  if (cluster.isWorker) {
    process.on('message', (m) => fanOut(Buffer.from(m.data, 'latin1'), m.isBinary));
  }
  http404.listen(port, '127.0.0.1');
}
