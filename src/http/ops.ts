// The operations endpoints, answered before middleware and routes: health probes (open) and /metrics (behind the secret).
import type { ResolvedConfig } from '../config/schema';
import type { WsServer } from '../server/ws-server';
import { hasApiKey } from './auth';
import { healthProbe, type Readiness } from './health';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics';
import { collectMetrics } from './metrics-collect';

/** The answer for an operations path, or undefined to let the request go on to middleware and routes. */
export type OpsEndpoint = (request: Request, pathname: string) => Response | Promise<Response> | undefined;

export function opsEndpoints(config: ResolvedConfig, server: WsServer, readiness: Readiness): OpsEndpoint {
  const probe = healthProbe(config.health, readiness);
  const metrics = config.metrics;
  return (request, pathname) => {
    const probed = probe(request, pathname);
    if (probed || !metrics.enabled || pathname !== metrics.path) return probed;
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    // The same key as the server API: counters reveal traffic patterns, so scrapers authenticate like any backend.
    if (!hasApiKey(request, server.config.secretKey)) return new Response('Unauthorized: send the secret key as Authorization: Bearer or x-api-key\n', { status: 401, headers: { 'www-authenticate': 'Bearer' } });
    return collectMetrics(server).then((perWorker) => new Response(request.method === 'HEAD' ? null : renderMetrics(perWorker), { headers: { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' } }));
  };
}
