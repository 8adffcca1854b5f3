// Bun.serve wiring: upgrade requests go through onHandshake, sockets through the other hooks, HTTP to onRequest.
import { readFileSync } from 'node:fs';
import type { Server } from 'bun';
import { MemoryAdapter } from '../adapters/memory';
import type { ResolvedConfig } from '../config/schema';
import { ContextManager } from '../connections/context';
import { Machine } from '../connections/machine';
import { OdyError } from '../errors';
import type { Readiness } from '../http/health';
import { createPipeline, type Pipeline } from '../http/pipeline';
import { describeError, logger } from '../log/logger';
import { PusherServer } from '../pusher/server';
import type { ResolvedHooks } from './callbacks';
import type { EventName } from './events';
import { Handshake } from './handshake';
import { type Conn, Node, type Socket } from './node';
import { OpenedConnection } from './open-request';
import type { Frame } from './types';
import { WsServer } from './ws-server';

export interface ServeOptions {
  /**
   * This process's node, its adapter already started (adapter.start(node)). @default a node on the memory
   * adapter: one process, nothing shared.
   */
  node?: Node;
  /** Share the port with sibling worker processes (Linux SO_REUSEPORT). */
  reusePort?: boolean;
}

export interface RunningServer {
  server: WsServer;
  /** The internals behind `server`: sockets, counters, the adapter (for hosts and tests, not for apps). */
  node: Node;
  /** ws:// (or wss://) URL the server listens on; port 0 in config gets a free port. */
  url: URL;
  /** Hooks in use; replace to swap controllers without dropping connections. */
  hooks: ResolvedHooks;
  /** What /ready reports (kept across reloads). */
  readiness: Readiness;
  /** Routes, middleware, guards and the API, built from one config; reload replaces it whole. */
  pipeline: Pipeline;
  /** Graceful stop: no new connections, close 1001 to every socket, wait for in-flight work. */
  stop(): Promise<void>;
}

const HOOK_NAMES: Record<EventName, string> = {
  handshake: 'onHandshake', open: 'onOpen', message: 'onMessage', close: 'onClose', disconnect: 'onDisconnect', request: 'onRequest',
};

export function startServer(config: ResolvedConfig, initialHooks: ResolvedHooks, options: ServeOptions = {}): RunningServer {
  const node = options.node ?? new Node(new MemoryAdapter(), 0, process.pid, Machine.alone(config.additional.table));
  const server = new WsServer(config, node);
  // What /ready reports: a stop under way, and whether the adapter reaches the other nodes.
  const readiness: Readiness = {
    draining: () => stopping !== undefined,
    adapter: () => node.adapter.status(),
    // Workers of one machine hear each other's heartbeats: a worker counts itself and the live others.
    ...(node.adapter.driver === 'ipc' && { workers: () => ({ up: node.adapter.status().peers + 1, expected: config.additional.workerNum }) }),
  };
  const running: RunningServer = { server, node, url: new URL('ws://localhost'), hooks: initialHooks, readiness, pipeline: createPipeline(config, server, node, { readiness }), stop: () => stop() };
  // Pusher apps: /app/{key} sockets and /apps/{id}/… requests go to the protocol layer instead of the callbacks.
  const pusher = config.apps.length > 0 || config.appsDatabase ? new PusherServer(config, node) : null;
  server.pusher = pusher;
  if (pusher) readiness.apps = () => pusher.appStore.status(); // /health: degraded while the apps database is down

  function report(event: EventName, where: string, error: unknown): void {
    node.counters.callbackErrors++;
    logger.error(`${HOOK_NAMES[event]} failed (${where}): ${describeError(error)}`);
  }
  /** Async callbacks run on; a rejection is logged like a throw. */
  function settle(event: EventName, fd: number, result: unknown): void {
    if (result instanceof Promise) result.then(undefined, (error) => report(event, `fd ${fd}`, error));
  }
  function disconnected(fd: number): void {
    node.counters.handshakesRejected++;
    node.refused(fd);
    const hook = running.hooks.disconnect;
    if (!hook) return;
    try {
      settle('disconnect', fd, hook(server, fd));
    } catch (error) {
      report('disconnect', `fd ${fd}`, error);
    }
  }

  /**
   * An upgrade request. With no handshake middleware and a synchronous (or no) onHandshake it completes in
   * this turn: frames that arrive with the request are not refused, and nothing async is left behind.
   */
  function handshake(req: Request, bun: Server<Conn>): Response | undefined | Promise<Response | undefined> {
    let fd: number;
    try {
      fd = node.allocateFd();
    } catch (error) {
      logger.error(`handshake refused: ${describeError(error)}`);
      node.rejected(503);
      return new Response('Server is at its connection limit\n', { status: 503, headers: { 'retry-after': '5' } });
    }
    const max = server.config.additional.maxConnections; // the config a reload swapped in
    // Cluster-wide: the other nodes' counts are as of their last heartbeat (at most HEARTBEAT_MS old).
    if (max > 0 && node.connectionCount() + node.pendingCount + node.adapter.remoteConnections() >= max) {
      disconnected(fd);
      node.rejected(503);
      return new Response('Server is at its connection limit\n', { status: 503, headers: { 'retry-after': '5' } });
    }
    const pipeline = running.pipeline;
    const hook = running.hooks.handshake;
    // The common case: nothing to check, nobody to ask, so no closures and no pipeline call per handshake.
    const segment = pusher ? pusher.socketKey(req) : null; // a Pusher socket's app key, still encoded
    const ours = segment !== null;
    if (!hook && pipeline.bare) return counted(fd, ours ? pusherUpgrade(req, bun, fd, undefined, '', segment) : upgrade(req, bun, fd, undefined, ''));
    // Only onHandshake and middleware look at a Handshake: without them, none is made.
    const shake = hook || !pipeline.direct ? new Handshake(fd, req, server) : undefined;
    // The client's address costs a native call and an object per handshake: asked only by what needs it now
    // (per-IP limit, the default-secret check, middleware); otherwise the socket tells it later, when asked.
    let peer: string | undefined;
    const peerOf = () => (peer ??= bun.requestIP(req)?.address ?? '');
    const next = ours ? () => pusherUpgrade(req, bun, fd, shake, peer ?? '', segment) : () => accept(req, bun, fd, shake, peer ?? '');
    const response = pipeline.handshake(req, peerOf, fd, shake, next, () => disconnected(fd));
    if (response instanceof Promise) return response.then((r) => counted(fd, r));
    return counted(fd, response);
  }

  /** Refusals are counted by the status they got (metrics: ody_handshakes_rejected_total by reason), and free the fd. */
  function counted(fd: number, response: Response | undefined): Response | undefined {
    if (response) {
      node.rejected(response.status);
      node.refused(fd);
    }
    return response;
  }

  /** A Pusher socket: upgraded by the protocol layer instead of onHandshake (after the same guards). */
  function pusherUpgrade(req: Request, bun: Server<Conn>, fd: number, shake: Handshake | undefined, peer: string, segment: string): Response | undefined {
    if (stopping) return new Response('Server is shutting down\n', { status: 503, headers: { 'retry-after': '5' } });
    return pusher!.accept(req, bun, fd, shake?.data, peer, segment);
  }

  /**
   * onHandshake, then the upgrade (undefined when it happened); a refusal fires onDisconnect.
   * The pipeline marks the fd pending while middleware or an asynchronous onHandshake runs.
   */
  function accept(req: Request, bun: Server<Conn>, fd: number, shake: Handshake | undefined, peer: string): Response | undefined | Promise<Response | undefined> {
    const hook = running.hooks.handshake;
    if (!hook || !shake) return upgrade(req, bun, fd, shake, peer);
    let result: ReturnType<typeof hook>;
    try {
      result = hook(req, shake);
    } catch (error) {
      return hookFailed(req, bun, fd, shake, peer, error);
    }
    if (result instanceof Promise) return result.then((r) => decided(req, bun, fd, shake, peer, r), (error) => hookFailed(req, bun, fd, shake, peer, error));
    return decided(req, bun, fd, shake, peer, result);
  }

  function hookFailed(req: Request, bun: Server<Conn>, fd: number, shake: Handshake, peer: string, error: unknown): Response | undefined {
    report('handshake', `fd ${fd}`, error);
    shake.reject(500, 'Internal Server Error\n');
    return decided(req, bun, fd, shake, peer, undefined);
  }

  function decided(req: Request, bun: Server<Conn>, fd: number, shake: Handshake, peer: string, result: Response | boolean | void): Response | undefined {
    if (result instanceof Response) return rejected(fd, result);
    if (result === false) shake.reject(403);
    if (shake.rejection) return rejected(fd, shake.rejection);
    return upgrade(req, bun, fd, shake, peer);
  }

  function upgrade(req: Request, bun: Server<Conn>, fd: number, shake: Handshake | undefined, peer: string): Response | undefined {
    // An upgrade after stop began would open a socket nothing closes (stop already sent its 1001s).
    if (stopping) return rejected(fd, new Response('Server is shutting down\n', { status: 503, headers: { 'retry-after': '5' } }));
    // With no onHandshake, the first protocol offered is accepted (clients that offer some need one back).
    const protocol = shake ? shake.protocol || (running.hooks.handshake ? '' : (shake.offeredProtocols[0] ?? '')) : firstProtocol(req);
    let headers: Headers | Record<string, string> | undefined = shake?.headers;
    if (protocol) {
      if (headers instanceof Headers) headers.set('Sec-WebSocket-Protocol', protocol);
      else headers = { 'Sec-WebSocket-Protocol': protocol };
    }
    const data: Conn = { fd, url: req.url, remoteAddress: peer, protocol, connectTime: 0, data: shake?.data, request: req };
    let upgraded = false;
    try {
      upgraded = bun.upgrade(req, { headers, data });
    } catch (error) {
      logger.debug(`upgrade of fd ${fd} failed: ${describeError(error)}`);
    }
    if (upgraded) return undefined;
    return rejected(fd, new Response('Bad WebSocket handshake: expected a GET with valid Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version: 13\n', { status: 400 }));
  }

  function rejected(fd: number, response: Response): Response {
    disconnected(fd);
    return response;
  }

  async function request(req: Request): Promise<Response> {
    const hook = running.hooks.request;
    if (!hook) return new Response('Not Found\n', { status: 404 });
    try {
      let result = hook(req, server);
      if (result instanceof Promise) result = await result;
      if (result instanceof Response) return result;
      if (result === undefined) return new Response(null, { status: 204 });
      throw new TypeError(`expected a Response, got ${typeof result}`);
    } catch (error) {
      report('request', `${req.method} ${new URL(req.url).pathname}`, error);
      return new Response('Internal Server Error\n', { status: 500 });
    }
  }

  const tls = config.ssl ? { cert: readPem(config.ssl.certFile, 'certFile'), key: readPem(config.ssl.keyFile, 'keyFile') } : undefined;
  const listen = config.sockType === 'unix' ? { unix: config.path } : { hostname: config.host, port: config.port, reusePort: options.reusePort ?? false };
  let bun: Server<Conn>;
  try {
    bun = Bun.serve<Conn>({
      ...listen,
      tls,
      fetch(req, bunServer) {
        const asked = req.headers.get('upgrade');
        if (asked === 'websocket' || asked?.toLowerCase() === 'websocket') return handshake(req, bunServer);
        return running.pipeline.http(req, bunServer.requestIP(req)?.address ?? '', pusher?.ownsApi(req) ? pusher.http : request);
      },
      error(error) {
        logger.error(`HTTP handler failed: ${describeError(error)}`);
        return new Response('Internal Server Error\n', { status: 500 });
      },
      websocket: {
        maxPayloadLength: config.additional.maxPayloadLength,
        idleTimeout: config.additional.idleTimeout,
        sendPings: config.additional.sendPings,
        backpressureLimit: config.additional.backpressureLimit,
        closeOnBackpressureLimit: config.additional.closeOnBackpressureLimit,
        perMessageDeflate: config.additional.perMessageDeflate,
        open(ws: Socket) {
          const d = ws.data;
          d.connectTime = Date.now();
          node.opened(ws);
          const req = d.request!;
          d.request = undefined; // do not keep the request alive for the socket's lifetime
          if (d.pusher) return pusher!.opened(ws);
          const hook = running.hooks.open;
          if (!hook) return;
          try {
            settle('open', d.fd, hook(server, new OpenedConnection(ws, req)));
          } catch (error) {
            report('open', `fd ${d.fd}`, error);
          }
        },
        message(ws: Socket, message: string | Buffer) {
          node.received(message);
          if (!running.pipeline.message(ws)) return;
          if (ws.data.pusher) return pusher!.message(ws, message);
          const hook = running.hooks.message;
          if (!hook) return;
          const fd = ws.data.fd;
          const frame: Frame = typeof message === 'string' ? { fd, data: message, opcode: 1, finish: true } : { fd, data: message, opcode: 2, finish: true };
          try {
            settle('message', fd, hook(server, frame));
          } catch (error) {
            report('message', `fd ${fd}`, error);
          }
        },
        close(ws: Socket, code: number, reason: string) {
          const fd = ws.data.fd;
          node.closed(fd);
          running.pipeline.closed(fd);
          if (ws.data.pusher) return pusher!.closed(ws);
          const hook = running.hooks.close;
          if (!hook) return;
          try {
            settle('close', fd, hook(server, fd, code, reason));
          } catch (error) {
            report('close', `fd ${fd}`, error);
          }
        },
      },
    });
  } catch (error) {
    throw listenError(config, error);
  }
  node.attach(bun);
  running.url = new URL(config.sockType === 'unix' ? `ws+unix://${config.path}` : `${tls ? 'wss' : 'ws'}://${hostForUrl(config.host)}:${bun.port}`);
  ContextManager.set('WsServer', server);
  ContextManager.set('FdsTable', server.table);

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      void bun.stop(false); // stop accepting; open sockets and in-flight requests carry on
      pusher?.closeAll();
      for (const fd of [...node.fds()]) node.socket(fd)?.close(1001, 'server shutting down');
      const deadline = Date.now() + config.additional.shutdownTimeout * 1000;
      while ((node.connectionCount() > 0 || bun.pendingRequests > 0) && Date.now() < deadline) await Bun.sleep(10);
      await bun.stop(true);
      await pusher?.stop(deadline);
      await node.adapter.stop();
    })();
    return stopping;
  }
  return running;
}

/** The first subprotocol in Sec-WebSocket-Protocol, or ''. */
function firstProtocol(req: Request): string {
  const header = req.headers.get('sec-websocket-protocol');
  if (!header) return '';
  const comma = header.indexOf(',');
  return (comma < 0 ? header : header.slice(0, comma)).trim();
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new OdyError(`config ssl.${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? describeError(error)})`, 'E_TLS');
  }
}

function listenError(config: ResolvedConfig, error: unknown): OdyError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = config.sockType === 'unix' ? config.path : `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return new OdyError(`cannot listen on ${where}: address already in use (is another server running? try another --port)`, 'E_LISTEN');
  if (code === 'EACCES') return new OdyError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`, 'E_LISTEN');
  if (code === 'EADDRNOTAVAIL') return new OdyError(`cannot listen on ${where}: address not available on this machine`, 'E_LISTEN');
  return new OdyError(`cannot listen on ${where}: ${describeError(error)}`, 'E_LISTEN');
}
