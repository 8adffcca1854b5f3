// GET {api.prefix}/dashboard: the live dashboard page and what it asks for. Never open: every route wants the secret
// key (x-api-key, Authorization: Bearer) or a signed token whose payload has scope 'dashboard' (`ody token --payload
// '{"scope":"dashboard"}'`), as Bearer or, for the page itself (a browser's address bar), as ?token=.
import type { ResolvedConfig } from '../../config/schema';
import { bearerToken, hasApiKey } from '../../http/auth';
import { readBody } from '../../http/body';
import type { Middleware, RouteHandler } from '../../http/middleware';
import { verifyToken } from '../../http/token';
import type { PusherServer } from '../../pusher/server';
import { clusterSubscribers, clusterView, disableEverywhere } from './node-view';
import { dashboardPage } from './page';

type Route = [pattern: string, handler: RouteHandler, middleware: Middleware[]];

export function dashboardRoutes(config: ResolvedConfig): Route[] {
  const { prefix } = config.api;
  const auth = allowDashboard(config.secretKey);
  const json = (body: unknown, status = 200) => Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
  /** The Pusher layer and the app a request names, or the answer saying why not. */
  const appOf = async (server: { pusher: PusherServer | null }, id: unknown) => {
    if (!server.pusher) return json({ error: 'no Pusher apps are configured' }, 404);
    const app = typeof id === 'string' ? await server.pusher.findApp(id) : null;
    return app ? { layer: server.pusher, app } : json({ error: `no app with id ${JSON.stringify(id)}` }, 404);
  };
  const body = async (request: Request) => {
    try {
      return JSON.parse(String((await readBody(request, 4096)) ?? '')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  return [
    [`GET ${prefix}/dashboard`, () => dashboardPage(prefix), [auth]],
    [`GET ${prefix}/dashboard/data`, async (request, ctx) => {
      if (!ctx.server.pusher) return json({ nodes: [] });
      const since = Number(new URL(request.url).searchParams.get('since') ?? 0) || 0;
      return json({ now: Date.now(), nodes: await clusterView(ctx.server.pusher, since) });
    }, [auth]],
    [`GET ${prefix}/dashboard/channel`, async (request, ctx) => {
      const params = new URL(request.url).searchParams;
      const found = await appOf(ctx.server, params.get('app'));
      if (found instanceof Response) return found;
      const channel = params.get('name') ?? '';
      if (channel === '' || channel.length > 200) return json({ error: 'name: expected a channel name' }, 400);
      const members = channel.startsWith('presence-') ? [...(await found.layer.members(found.app, channel))].map(([id, info]) => ({ id, info })) : [];
      const subscribers = await clusterSubscribers(found.layer, found.app.id, channel);
      // Nodes answer in any order: sorted, the lists stay put between two looks.
      members.sort((a, b) => a.id.localeCompare(b.id));
      subscribers.sort((a, b) => a.node - b.node || a.socketId.localeCompare(b.socketId));
      return json({ channel, subscribers, members });
    }, [auth]],
    [`POST ${prefix}/dashboard/terminate`, async (request, ctx) => {
      const input = await body(request);
      const found = await appOf(ctx.server, input.app);
      if (found instanceof Response) return found;
      if (typeof input.user !== 'string' || input.user === '') return json({ error: 'user: expected a user id' }, 400);
      found.layer.terminate(found.app, input.user);
      return json({ terminated: input.user });
    }, [auth]],
    [`POST ${prefix}/dashboard/disable`, async (request, ctx) => {
      const found = await appOf(ctx.server, (await body(request)).app);
      if (found instanceof Response) return found;
      disableEverywhere(found.layer, found.app.id);
      return json({ disabled: found.app.id });
    }, [auth]],
  ];
}

/** The secret key, or a dashboard-scoped token (a connection token for the chat is not enough). */
function allowDashboard(secret: string): Middleware {
  return (request, next) => {
    if (hasApiKey(request, secret)) return next();
    const token = bearerToken(request) ?? (request.method === 'GET' ? new URL(request.url).searchParams.get('token') : null);
    const check = token ? verifyToken(token, secret) : undefined;
    if (check?.ok && check.payload.scope === 'dashboard') return next();
    return new Response("Unauthorized: open this page with ?token= (ody token --payload '{\"scope\":\"dashboard\"}'), or send the secret key\n", {
      status: 401,
      headers: { 'www-authenticate': 'Bearer', 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    });
  };
}
