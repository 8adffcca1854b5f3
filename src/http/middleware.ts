// The one middleware model for plain HTTP requests and WebSocket handshakes: context, chain, upgrade marker.
import type { Handshake } from '../server/handshake';
import type { WsServer } from '../server/ws-server';

/** What middleware and route handlers know about the request besides the Request itself. */
export interface RequestContext {
  /** 'http' for a plain request, 'handshake' for a WebSocket upgrade. */
  kind: 'http' | 'handshake';
  /** Client IP address (the last X-Forwarded-For hop when security.trustProxy is on). */
  ip: string;
  server: WsServer;
  /** Route parameters, ':id' -> params.id; empty when no route matched. */
  params: Record<string, string>;
  /** The matched route, e.g. 'GET /users/:id'; null for handshakes and unmatched requests. */
  route: string | null;
  /** For handshakes: set headers, subprotocol or per-connection data before calling next(). */
  handshake: Handshake | null;
}

/** Runs the rest of the chain. In a handshake it resolves to the upgrade marker (status 101) when accepted. */
export type Next = () => Promise<Response>;

/** Return next() to continue, or your own Response to answer (for a handshake: reject it). */
export type Middleware = (request: Request, next: Next, ctx: RequestContext) => Response | Promise<Response>;

/** A route handler: gets the request and the context (params, server, ip) and returns a Response. */
export type RouteHandler = (request: Request, ctx: RequestContext) => Response | Promise<Response>;

/**
 * The marker next() resolves to when a handshake was accepted. The upgrade has happened by then (Bun opens
 * the socket inside upgrade(), so onOpen has run): middleware can look at it (status 101, e.g. to log) and
 * must return it; nothing can undo an upgrade.
 */
export function upgradeMarker(): Response {
  return new Response(null, { status: 101, statusText: 'Switching Protocols' });
}

export function isUpgrade(response: Response): boolean {
  return response.status === 101;
}

/** Runs `chain` in order around `last`; a middleware that returns without calling next() ends the chain. */
export function compose(chain: readonly Middleware[], last: (request: Request, ctx: RequestContext) => Promise<Response>) {
  return (request: Request, ctx: RequestContext): Promise<Response> => {
    let called = -1;
    const dispatch = async (i: number): Promise<Response> => {
      if (i <= called) throw new Error('next() called more than once in one middleware');
      called = i;
      const inChain = i < chain.length;
      const result = inChain ? await chain[i]!(request, () => dispatch(i + 1), ctx) : await last(request, ctx);
      if (!(result instanceof Response)) {
        throw new TypeError(inChain ? `middleware must return a Response (e.g. \`return next()\`), got ${typeof result}` : `expected a Response, got ${typeof result}`);
      }
      return result;
    };
    return dispatch(0);
  };
}
