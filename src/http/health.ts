// Liveness and readiness probes: cheap, no secret, nothing about the machine (no pids, no paths).
import type { HealthConfig } from '../config/schema';

/**
 * What readiness depends on. The serve loop supplies `draining`; the cluster and adapter layers
 * supply the others where they exist (a single process without an adapter has neither).
 */
export interface Readiness {
  /** True once a graceful stop began: load balancers should send new clients elsewhere. */
  draining(): boolean;
  /** The adapter carrying cross-worker or cross-node traffic. */
  adapter?(): { driver: string; state: 'up' | 'down' };
  /** Worker processes serving, of those configured. */
  workers?(): { up: number; expected: number };
  /** The apps database (src/apps/), when apps come from one: cached apps keep serving while it is down. */
  apps?(): { driver: string; state: 'up' | 'down' };
}

/** Probes answer GET and HEAD; a load balancer must never cache them. */
function answer(status: number, body: object, method: string): Response {
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  return new Response(method === 'HEAD' ? null : JSON.stringify(body), { status, headers });
}

/** Why the server is not ready; empty when it is. */
export function notReadyReasons(readiness: Readiness): string[] {
  const reasons: string[] = [];
  if (readiness.draining()) reasons.push('draining');
  if (readiness.adapter?.().state === 'down') reasons.push('adapter down');
  const workers = readiness.workers?.();
  if (workers && workers.up < workers.expected) reasons.push(`${workers.up} of ${workers.expected} workers up`);
  return reasons;
}

/**
 * The probe for a path, or undefined when the path is not a probe. Liveness stays 200 while the
 * adapter is down (restarting the process would not bring Redis back) but says so: 'degraded'.
 */
export function healthProbe(config: Required<HealthConfig>, readiness: Readiness): (request: Request, pathname: string) => Response | undefined {
  return (request, pathname) => {
    if (!config.enabled || (pathname !== config.path && pathname !== config.readyPath)) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } });
    if (pathname === config.path) return answer(200, { status: readiness.adapter?.().state === 'down' || readiness.apps?.().state === 'down' ? 'degraded' : 'ok' }, request.method);
    const reasons = notReadyReasons(readiness);
    return reasons.length === 0 ? answer(200, { status: 'ready' }, request.method) : answer(503, { status: 'not ready', reasons }, request.method);
  };
}
