// The server API over HTTP (broadcast, push, publish, disconnect, connections, topics, stats), guarded by secretKey.
// Every answer is cluster-wide: it uses the awaited forms on server.cluster, which ask every live node.
import type { ResolvedConfig } from '../config/schema';
import type { WsServer } from '../server/ws-server';
import { dashboardRoutes } from '../apps/dashboard/routes';
import { hasApiKey } from './auth';
import { readBody } from './body';
import type { Middleware, RouteHandler } from './middleware';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
export type ApiRoute = [pattern: string, handler: RouteHandler, middleware: Middleware[]];

/** The API's routes under config.api.prefix, each behind the secret-key check. */
export function apiRoutes(config: ResolvedConfig): ApiRoute[] {
  const { prefix, maxBodySize } = config.api;
  const auth = requireSecret(config.secretKey);
  const read = (request: Request) => readJson(request, maxBodySize);
  const routes: [string, (request: Request, server: WsServer) => Promise<unknown>][] = [
    ['POST /broadcast', async (request, server) => {
      const body = await read(request);
      return { delivered: await server.cluster.broadcast(payload(body), { except: fdList(body.except) }) };
    }],
    ['POST /push', async (request, server) => {
      const body = await read(request);
      const fd = fdOf(body.fd);
      const data = payload(body);
      if (!(await server.cluster.isEstablished(fd))) throw new ApiError(404, `no open connection with fd ${fd}`);
      return { delivered: server.push(fd, data) ? 1 : 0 };
    }],
    ['POST /publish', async (request, server) => {
      const body = await read(request);
      if (typeof body.topic !== 'string' || body.topic === '' || body.topic.startsWith('\u0000')) throw new ApiError(400, '"topic" must be a non-empty string');
      return { delivered: await server.cluster.publish(body.topic, payload(body)) };
    }],
    ['POST /disconnect', async (request, server) => {
      const body = await read(request);
      const fd = fdOf(body.fd);
      const code = body.code ?? 1000;
      const reason = body.reason ?? '';
      if (typeof code !== 'number' || !(code === 1000 || (code >= 3000 && code <= 4999))) throw new ApiError(400, '"code" must be 1000 or 3000-4999');
      if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) throw new ApiError(400, '"reason" must be a string of at most 123 bytes');
      if (!(await server.cluster.isEstablished(fd)) || !server.disconnect(fd, code, reason)) throw new ApiError(404, `no open connection with fd ${fd}`);
      return { disconnected: fd };
    }],
    ['GET /connections', async (_request, server) => {
      return { connections: await server.cluster.clients() };
    }],
    ['GET /topics', async (_request, server) => ({ topics: await server.cluster.topics() })],
    ['GET /stats', async (_request, server) => ({ ...(await server.cluster.stats()), adapter: server.cluster.adapter })],
  ];
  return routes.map(([route, run]): ApiRoute => {
    const [method, path] = route.split(' ');
    const handler: RouteHandler = async (request, ctx) => {
      try {
        return Response.json(await run(request, ctx.server));
      } catch (error) {
        if (error instanceof ApiError) return Response.json({ error: error.message }, { status: error.status });
        throw error;
      }
    };
    return [`${method} ${prefix}${path}`, handler, [auth]];
  }).concat(dashboardRoutes(config)); // the live dashboard (src/apps/dashboard/): secret key or a dashboard token
}

/** 401 unless the request carries the secret in x-api-key or Authorization: Bearer (compared in constant time). */
function requireSecret(secret: string): Middleware {
  return (request, next) => {
    if (hasApiKey(request, secret)) return next();
    return Response.json({ error: 'unauthorized: send the secret key in x-api-key or Authorization: Bearer' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
  };
}

/** Reads at most `limit` bytes (announced or streamed) and parses a JSON object. */
async function readJson(request: Request, limit: number): Promise<Body> {
  const bytes = await readBody(request, limit);
  if (!bytes) throw new ApiError(413, `body over api.maxBodySize (${limit} bytes)`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ApiError(400, `body is not valid JSON: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'body must be a JSON object');
  return body as Body;
}

/** "data" as sent: a string as is, any other JSON value serialized. */
function payload(body: Body): string {
  if (body.data === undefined) throw new ApiError(400, '"data" is required');
  return typeof body.data === 'string' ? body.data : JSON.stringify(body.data);
}

function fdOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new ApiError(400, '"fd" must be a positive integer');
  return value;
}

function fdList(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list)) throw new ApiError(400, '"except" must be an fd or an array of fds');
  return list.map(fdOf);
}
