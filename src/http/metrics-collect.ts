// Gathers the numbers /metrics renders: one series per worker of this machine (asked through the adapter).
import type { Stats } from '../server/node';
import type { WsServer } from '../server/ws-server';
import { rejectReason, type WorkerMetrics } from './metrics';

/**
 * One entry per worker of this machine, whichever worker answered the scrape. Nodes on other machines (redis)
 * are left out: each machine is scraped on its own, and counting them here would count them twice.
 */
export async function collectMetrics(server: WsServer): Promise<WorkerMetrics[]> {
  const self = server.stats();
  const adapter = server.cluster.adapter;
  const nodes = (await server.cluster.nodes()).filter((s) => s.host === self.host && s.primary === self.primary);
  return nodes.sort((a, b) => a.worker - b.worker).map((s) => metricsOf(s, adapter.driver === 'memory' ? undefined : { driver: adapter.driver, up: s.adapterState === 'up' }));
}

function metricsOf(stats: Stats, adapter: WorkerMetrics['adapter']): WorkerMetrics {
  const rejected: WorkerMetrics['handshakesRejected'] = {};
  for (const [status, count] of Object.entries(stats.rejectedByStatus)) {
    const reason = rejectReason(Number(status));
    rejected[reason] = (rejected[reason] ?? 0) + count;
  }
  return {
    worker: String(stats.worker),
    connections: stats.connections,
    messagesReceived: stats.messagesIn,
    messagesSent: stats.messagesOut,
    bytesReceived: stats.bytesIn,
    bytesSent: stats.bytesOut,
    handshakesRejected: rejected,
    backpressureDrops: stats.backpressureDrops,
    callbackErrors: stats.callbackErrors,
    webhooksDropped: { overflow: stats.webhooksOverflow ?? 0, gave_up: stats.webhooksGivenUp ?? 0 }, // ?? 0: a node of the previous version
    overBudget: stats.overBudget ?? 0,
    residentMemoryBytes: stats.rssBytes,
    ...(adapter ? { adapter } : {}),
  };
}
