// Bun.serve wiring: upgrade requests go through onHandshake, sockets through the other hooks, HTTP to onRequest.
import { readFileSync } from 'node:fs';
import type { Server } from 'bun';
import type { ResolvedConfig } from '../config/schema';
import { ContextManager } from '../connections/context';
import { OdyError } from '../errors';
import { createPipeline } from '../http/pipeline';
import { describeError, logger } from '../log/logger';
import type { ResolvedHooks } from './callbacks';
import type { EventName } from './events';
import { Handshake } from './handshake';
import { CountedServer } from './traffic';
import type { Frame } from './types';
import type { ConnData, Socket, WsServer } from './ws-server';

export interface ServeOptions {
  /** Index of this worker (0 when alone); fds are start + k*step so workers never collide. */
  worker?: number;
  fdStart?: number;
  fdStep?: number;
  /** Share the port with sibling worker processes (Linux SO_REUSEPORT). */
  reusePort?: boolean;
}

export interface RunningServer {
  server: WsServer;
  /** ws:// (or wss://) URL the server listens on; port 0 in config gets a free port. */
  url: URL;
  /** Hooks in use; replace to swap controllers without dropping connections. */
  hooks: ResolvedHooks;
  /** Graceful stop: no new connections, close 1001 to every socket, wait for in-flight work. */
  stop(): Promise<void>;
}

const HOOK_NAMES: Record<EventName, string> = {
  handshake: 'onHandshake', open: 'onOpen', message: 'onMessage', close: 'onClose', disconnect: 'onDisconnect', request: 'onRequest',
};

export function startServer(config: ResolvedConfig, initialHooks: ResolvedHooks, options: ServeOptions = {}): RunningServer {
  const server = new CountedServer(config, options.worker ?? 0, options.fdStart ?? 1, options.fdStep ?? 1);
  const running: RunningServer = { server, url: new URL('ws://localhost'), hooks: initialHooks, stop: () => stop() };
  const max = config.additional.maxConnections;
  const pipeline = createPipeline(config, server, { draining: () => stopping !== undefined });

  function report(event: EventName, where: string, error: unknown): void {
    server.counters.callbackErrors++;
    logger.error(`${HOOK_NAMES[event]} failed (${where}): ${describeError(error)}`);
  }
  /** Async callbacks run on; a rejection is logged like a throw. */
  function settle(event: EventName, fd: number, result: unknown): void {
    if (result instanceof Promise) result.then(undefined, (error) => report(event, `fd ${fd}`, error));
  }
  function disconnected(fd: number): void {
    server.counters.handshakesRejected++;
    const hook = running.hooks.disconnect;
    if (!hook) return;
    try {
      settle('disconnect', fd, hook(server, fd));
    } catch (error) {
      report('disconnect', `fd ${fd}`, error);
    }
  }

  async function handshake(req: Request, bun: Server<ConnData>): Promise<Response | undefined> {
    const fd = server.allocateFd();
    if (max > 0 && server.count() + server.pendingCount >= max) {
      disconnected(fd);
      server.rejected(503);
      return new Response('Server is at its connection limit\n', { status: 503, headers: { 'retry-after': '5' } });
    }
    const shake = new Handshake(fd, req, server);
    const peer = bun.requestIP(req)?.address ?? '';
    const response = await pipeline.handshake(req, peer, shake, () => accept(req, bun, shake, peer), () => disconnected(fd));
    if (response) server.rejected(response.status);
    return response;
  }

  /**
   * onHandshake, then the upgrade (undefined when it happened); a refusal fires onDisconnect.
   * The pipeline marks the fd pending for the whole handshake, middleware included.
   */
  async function accept(req: Request, bun: Server<ConnData>, shake: Handshake, peer: string): Promise<Response | undefined> {
    const fd = shake.fd;
    const hook = running.hooks.handshake;
    if (hook) {
      try {
        let result = hook(req, shake);
        if (result instanceof Promise) result = await result;
        if (result instanceof Response) return rejected(fd, result);
        if (result === false) shake.reject(403);
      } catch (error) {
        report('handshake', `fd ${fd}`, error);
        shake.reject(500, 'Internal Server Error\n');
      }
      if (shake.rejection) return rejected(fd, shake.rejection);
    }
    const protocol = shake.protocol || (hook ? '' : (shake.offeredProtocols[0] ?? ''));
    if (protocol) shake.headers.set('Sec-WebSocket-Protocol', protocol);
    const data: ConnData = { fd, url: req.url, remoteAddress: peer, protocol, connectTime: 0, data: shake.data, request: req };
    let upgraded = false;
    try {
      upgraded = bun.upgrade(req, { headers: shake.headers, data });
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
  let bun: Server<ConnData>;
  try {
    bun = Bun.serve<ConnData>({
      ...listen,
      tls,
      fetch(req, bunServer) {
        if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') return handshake(req, bunServer);
        return pipeline.http(req, bunServer.requestIP(req)?.address ?? '', request);
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
          server.opened(ws);
          const req = d.request!;
          d.request = undefined; // do not keep the request alive for the socket's lifetime
          const hook = running.hooks.open;
          if (!hook) return;
          try {
            settle('open', d.fd, hook(server, { fd: d.fd, url: d.url, headers: req.headers, remoteAddress: d.remoteAddress, protocol: d.protocol, data: d.data }));
          } catch (error) {
            report('open', `fd ${d.fd}`, error);
          }
        },
        message(ws: Socket, message: string | Buffer) {
          server.counters.messagesIn++;
          server.received(message);
          if (!pipeline.message(ws)) return;
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
          server.closed(fd);
          pipeline.closed(fd);
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
  server.attach(bun);
  running.url = new URL(config.sockType === 'unix' ? `ws+unix://${config.path}` : `${tls ? 'wss' : 'ws'}://${hostForUrl(config.host)}:${bun.port}`);
  ContextManager.set('WsServer', server);
  ContextManager.set('FdsTable', server.table);

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      void bun.stop(false); // stop accepting; open sockets and in-flight requests carry on
      for (const fd of [...server.localConnections()]) server.socket(fd)?.close(1001, 'server shutting down');
      const deadline = Date.now() + config.additional.shutdownTimeout * 1000;
      while ((server.localCount() > 0 || bun.pendingRequests > 0) && Date.now() < deadline) await Bun.sleep(10);
      await bun.stop(true);
    })();
    return stopping;
  }
  return running;
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
