// Whether a Pusher socket whose app is now known may stay: the key names an app, the protocol version is one we
// speak, the app is enabled, the page's Origin is one the app allows, and the app is under maxConnections counted on
// every worker and node. Refusals are the protocol's: pusher:error then close with the same code.
import type { ResolvedApp } from '../config/schema';
import { queryParam } from '../http/path';
import { CLOSE, errorFrame } from '../pusher/frames';
import { type Asked, pusherOf, type PusherServer } from '../pusher/server';
import type { Socket } from '../server/node';

export function admit(layer: PusherServer, ws: Socket, app: ResolvedApp | null, established: (ws: Socket, app: ResolvedApp) => void): void {
  const conn = pusherOf(ws);
  if (!app) return refuse(ws, CLOSE.appNotFound, 'App key does not exist');
  const protocol = queryParam(ws.data.url, 'protocol');
  if (protocol !== null && protocol !== '7' && protocol !== '6' && protocol !== '5') return refuse(ws, CLOSE.unsupportedProtocol, `Unsupported protocol version ${protocol}`, 'Unsupported protocol version');
  if (!app.enabled) return refuse(ws, CLOSE.appDisabled, 'App is disabled');
  if (!layer.limits.originAllowed(app, conn.origin)) return refuse(ws, CLOSE.unauthorized, 'Origin not allowed for this app');
  // Counted before any await, released when the socket closes (PusherServer.closed): sockets arriving together
  // cannot all slip under the limit. Nodes racing may both refuse the last place; none goes over.
  const here = layer.limits.reserve(app);
  conn.counted = app.id;
  if (app.maxConnections <= 0) return established(ws, app);
  const over = () => refuse(ws, CLOSE.overCapacity, `Over capacity: app allows ${app.maxConnections} connections`, 'Over capacity');
  if (here > app.maxConnections) return over();
  layer.node.adapter.ask({ kind: 'app', q: { p: 'conns', app: app.id } satisfies Asked }).then(
    (answers) => (here + answers.reduce((sum: number, n) => sum + (typeof n === 'number' ? n : 0), 0) > app.maxConnections ? over() : established(ws, app)),
    () => established(ws, app), // the other nodes did not answer in time: this node's own count already held
  );
}

/** The close reason stays short and fixed: a close frame holds at most 123 bytes, and the message may quote the client. */
function refuse(ws: Socket, code: number, message: string, reason = message): void {
  ws.send(errorFrame(code, message));
  ws.close(code, reason);
}
