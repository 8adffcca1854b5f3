// What stands in front of the callbacks: built-in guards, global and route middleware, routes and the server API.
import { isLocalPeer } from '../config/default-secret';
import { DEFAULT_SECRET, type ResolvedConfig, type RouteSpec } from '../config/schema';
import { describeError, logger } from '../log/logger';
import { resolveCallback } from '../server/callbacks';
import type { Handshake } from '../server/handshake';
import type { Node, Socket } from '../server/node';
import type { WsServer } from '../server/ws-server';
import { apiRoutes } from './api';
import { ConnectionGuard } from './connection-guard';
import type { Readiness } from './health';
import { compose, isUpgrade, type Middleware, type RequestContext, type RouteHandler, upgradeMarker } from './middleware';
import { opsEndpoints } from './ops';
import { allowOrigins } from './origins';
import { rateLimit } from './rate-limit';
import { requestLog } from './request-log';
import { Router } from './router';

export interface Pipeline {
  /** A plain request: the matching route, else `fallback` (onRequest), inside the middleware. */
  http(request: Request, peer: string, fallback: (request: Request) => Promise<Response>): Promise<Response>;
  /**
   * A handshake: the middleware around `accept` (onHandshake, then the upgrade; undefined = upgraded).
   * `disconnected` fires when a middleware refused before `accept` ran (accept fires it for its own refusals).
   */
  handshake(
    request: Request,
    /** The client's address, looked up on first call (it costs a native call per handshake). */
    peerOf: () => string,
    fd: number,
    shake: Handshake | undefined,
    accept: () => Response | undefined | Promise<Response | undefined>,
    disconnected: () => void,
  ): Response | undefined | Promise<Response | undefined>;
  /** No handshake middleware: handshakes need no Handshake object and complete synchronously when accept does. */
  readonly direct: boolean;
  /** Not even an inline check (no per-IP limit, not the default secret): `handshake` would only call accept. */
  readonly bare: boolean;
  /** False when the message must be ignored: its socket went over messageRateLimit and is being closed. */
  message(ws: Socket): boolean;
  /** An established connection ended. */
  closed(fd: number): void;
  /** Per-IP counts and message buckets: connection-lasting state a reload's pipeline takes over. */
  readonly guard: ConnectionGuard;
}

interface Target {
  chain: Middleware[];
  handler: RouteHandler;
}

/**
 * Everything that answers requests, built from one config value: reload builds a new one and swaps it whole.
 * `carried`: the pipeline being replaced, whose connection-lasting state (the guard) continues.
 * `readiness`: what /ready reports.
 */
export function createPipeline(
  config: ResolvedConfig,
  server: WsServer,
  node: Node,
  { carried, readiness = { draining: () => false } }: { carried?: Pipeline; readiness?: Readiness } = {},
): Pipeline {
  const { security, additional } = config;
  const guard = new ConnectionGuard(additional.maxConnectionsPerIp, security.messageRateLimit, node.machine, carried?.guard);
  const logged = additional.requestLog ? [requestLog()] : [];
  const handshakeChain: Middleware[] = [
    ...logged,
    ...(security.handshakeRateLimit ? [rateLimit(security.handshakeRateLimit)] : []),
    ...(security.allowedOrigins.length > 0 ? [allowOrigins(security.allowedOrigins)] : []),
    guard.perIpLimit(),
    ...config.middleware,
  ];
  // The per-IP guard alone needs no middleware machinery: it is checked inline.
  const direct = handshakeChain.length === 1;
  const httpChain: Middleware[] = [...logged, ...(security.httpRateLimit ? [rateLimit(security.httpRateLimit)] : []), ...config.middleware];

  const ops = opsEndpoints(config, server, readiness);
  // User routes first, so an app can take over any path; the API after them.
  const router = new Router<Target>();
  const instances = new Map<unknown, object>();
  for (const [pattern, spec] of Object.entries(config.routes)) {
    const { handler, middleware = [] } = routeParts(spec);
    router.add(pattern, { chain: [...httpChain, ...middleware], handler: resolveCallback(handler, `routes['${pattern}']`, instances) as RouteHandler });
  }
  if (config.api.enabled) for (const [pattern, handler, middleware] of apiRoutes(config)) router.add(pattern, { chain: [...httpChain, ...middleware], handler });

  function failed(where: string, error: unknown): Response {
    node.counters.callbackErrors++;
    logger.error(`${where} failed: ${describeError(error)}`);
    return new Response('Internal Server Error\n', { status: 500 });
  }

  // The default secret is public knowledge: usable from this machine only (a proxy is refused at start).
  let toldOnce = false;
  const defaultSecret = config.secretKey === DEFAULT_SECRET;
  const offMachine = (peer: string): Response | undefined => {
    if (!defaultSecret || isLocalPeer(peer)) return undefined;
    if (!toldOnce) logger.error(`refused a request from ${peer}: this server uses the default secret key, which serves only clients on this machine; set WEBSOCKET_SECRET_KEY to a long random value (logged once)`);
    toldOnce = true;
    return new Response('Forbidden: this server still uses the default secret key and serves only clients on its own machine\n', { status: 403 });
  };

  const clientIp = (request: Request, peer: string): string => {
    if (!security.trustProxy) return peer;
    const hops = request.headers.get('x-forwarded-for')?.split(',');
    return hops?.[hops.length - 1]?.trim() || peer; // the last hop is the one our own proxy added
  };

  return {
    async http(request, peer, fallback) {
      // URL normalizes dot segments ('/x/../admin' is '/admin'): routes and their middleware must see what onRequest would.
      const { pathname } = new URL(request.url);
      const answered = ops(request, pathname); // probes and metrics: before every middleware, route and rate limit
      if (answered) return answered;
      const refused = offMachine(peer);
      if (refused) return refused;
      // Only WebSocket clients send this key: a handshake that lost its Upgrade header is malformed, not a page view.
      if (request.headers.has('sec-websocket-key')) return new Response('Bad WebSocket handshake: missing Upgrade: websocket\n', { status: 400 });
      const hit = router.match(request.method, pathname);
      const ctx: RequestContext = { kind: 'http', ip: clientIp(request, peer), server, params: hit?.params ?? {}, route: hit?.route.pattern ?? null, handshake: null };
      const target = hit?.route.target;
      try {
        return await compose(target?.chain ?? httpChain, target ? async (r, c) => target.handler(r, c) : fallback)(request, ctx);
      } catch (error) {
        return failed(hit ? `route '${hit.route.pattern}'` : `middleware (${request.method} ${pathname})`, error);
      }
    },

    handshake(request, peerOf, fd, shake, accept, disconnected) {
      const refused = defaultSecret ? offMachine(peerOf()) : undefined;
      if (refused) {
        disconnected();
        return refused;
      }
      if (direct) return admitDirect(fd, () => clientIp(request, peerOf()), accept, disconnected);
      return throughMiddleware(request, peerOf(), shake!, accept, disconnected);
    },

    direct,
    bare: direct && !defaultSecret && guard.maxPerIp === 0,
    guard,
    message: (ws) => guard.allowMessage(ws),
    closed: (fd) => guard.closed(fd),
  };

  function admitDirect(fd: number, ipOf: () => string, accept: () => Response | undefined | Promise<Response | undefined>, disconnected: () => void) {
    // Without a per-IP limit nothing is counted per IP: no lookup, no slot (a limit a reload turns on counts from then on).
    const full = guard.maxPerIp > 0 ? guard.admit(fd, ipOf()) : undefined;
    if (full) {
      disconnected();
      return full;
    }
    let result: Response | undefined | Promise<Response | undefined>;
    try {
      result = accept();
    } catch (error) {
      guard.closed(fd); // the slot taken above is freed on every exit path, a throw included
      return failed(`handshake (fd ${fd})`, error);
    }
    if (!(result instanceof Promise)) {
      if (result) guard.closed(fd);
      return result;
    }
    // Only an asynchronous onHandshake leaves the fd pending (maxConnections, exist) past this turn.
    node.beginHandshake(fd);
    return result.then(
      (response) => {
        if (response) guard.closed(fd);
        return response;
      },
      (error) => {
        guard.closed(fd);
        return failed(`handshake (fd ${fd})`, error);
      },
    ).finally(() => node.endHandshake(fd));
  }

  async function throughMiddleware(
    request: Request,
    peer: string,
    shake: Handshake,
    accept: () => Response | undefined | Promise<Response | undefined>,
    disconnected: () => void,
  ): Promise<Response | undefined> {
    const ctx: RequestContext = { kind: 'handshake', ip: clientIp(request, peer), server, params: {}, route: null, handshake: shake };
    let answered = false;
    let upgraded = false;
    let response: Response;
    node.beginHandshake(shake.fd); // counted as pending (maxConnections, exist) while middleware runs
    try {
      response = await compose(handshakeChain, async () => {
        const result = await accept();
        answered = true;
        upgraded = result === undefined;
        return result ?? upgradeMarker();
      })(request, ctx);
    } catch (error) {
      response = failed(`handshake middleware (fd ${shake.fd})`, error);
    } finally {
      node.endHandshake(shake.fd);
    }
    if (upgraded) {
      if (!isUpgrade(response)) logger.warn(`a middleware answered ${response.status} after the handshake of fd ${shake.fd} was accepted; the WebSocket is open`);
      return undefined;
    }
    guard.closed(shake.fd);
    if (!answered) disconnected();
    return isUpgrade(response) ? failed(`handshake middleware (fd ${shake.fd})`, new Error('answered 101 without next(): only next() can upgrade')) : response;
  }
}

function routeParts(spec: RouteSpec): { handler: Exclude<RouteSpec, { handler: unknown }>; middleware?: Middleware[] } {
  return typeof spec === 'object' && !Array.isArray(spec) && 'handler' in spec ? spec : { handler: spec as Exclude<RouteSpec, { handler: unknown }> };
}
