// Gathers the numbers /metrics renders: today this process's own; with workers, each scrape sees the worker that answered it.
import { trafficOf } from '../server/traffic';
import type { WsServer } from '../server/ws-server';
import { rejectReason, type WorkerMetrics } from './metrics';

/**
 * One entry per worker. This is the one place to make metrics cluster-wide: ask every worker (and
 * node) for its localStats-like numbers and return one entry each, labelled with its own index.
 */
export async function collectMetrics(server: WsServer): Promise<WorkerMetrics[]> {
  return [localMetrics(server)];
}

/** This process's numbers (local counts only, never the cluster-wide mirror), as one worker's series. */
export function localMetrics(server: WsServer): WorkerMetrics {
  const stats = server.localStats();
  const traffic = trafficOf(server);
  const rejected: WorkerMetrics['handshakesRejected'] = {};
  for (const [status, count] of Object.entries(traffic.handshakesRejectedByStatus)) {
    const reason = rejectReason(Number(status));
    rejected[reason] = (rejected[reason] ?? 0) + count;
  }
  return {
    worker: String(stats.worker),
    connections: stats.connections,
    messagesReceived: stats.messagesIn,
    messagesSent: stats.messagesOut,
    bytesReceived: traffic.bytesIn,
    bytesSent: traffic.bytesOut,
    handshakesRejected: rejected,
    backpressureDrops: traffic.backpressureDrops,
    callbackErrors: stats.callbackErrors,
    residentMemoryBytes: stats.rssBytes,
  };
}
