// Prometheus text format (0.0.4) for ody's counters: a pure function from per-worker numbers to the exposition text.

/** Why a handshake was refused, from the status it got. Every reason is always exported (at 0) so rate() has a series. */
export const REJECT_REASONS = ['bad_request', 'unauthorized', 'forbidden', 'rate_limited', 'server_full', 'error', 'other'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export function rejectReason(status: number): RejectReason {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 429: return 'rate_limited';
    case 503: return 'server_full';
    default: return status >= 500 ? 'error' : 'other';
  }
}

/** One worker's numbers; `worker` becomes the label that tells the series apart. */
export interface WorkerMetrics {
  worker: string;
  connections: number;
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  handshakesRejected: Partial<Record<RejectReason, number>>;
  backpressureDrops: number;
  callbackErrors: number;
  /** Webhook batches dropped, by why: the queue was full (oldest dropped), or the retry budget ran out. */
  webhooksDropped: { overflow: number; gave_up: number };
  /** Pusher sockets closed (4303) for sending more frames than their app's messagesPerSecond. */
  overBudget: number;
  residentMemoryBytes: number;
  /** Present once the worker talks to other workers or nodes through an adapter. */
  adapter?: { driver: string; up: boolean };
}

type Family = { name: string; type: 'gauge' | 'counter'; help: string; samples: (w: WorkerMetrics) => [labels: Record<string, string>, value: number][] };

const one = (pick: (w: WorkerMetrics) => number) => (w: WorkerMetrics): [Record<string, string>, number][] => [[{}, pick(w)]];

const FAMILIES: Family[] = [
  { name: 'ody_connections', type: 'gauge', help: 'Open WebSocket connections.', samples: one((w) => w.connections) },
  { name: 'ody_messages_received_total', type: 'counter', help: 'WebSocket messages received from clients.', samples: one((w) => w.messagesReceived) },
  { name: 'ody_messages_sent_total', type: 'counter', help: 'WebSocket messages sent to clients (a broadcast counts once per recipient).', samples: one((w) => w.messagesSent) },
  { name: 'ody_bytes_received_total', type: 'counter', help: 'Payload bytes of WebSocket messages received.', samples: one((w) => w.bytesReceived) },
  { name: 'ody_bytes_sent_total', type: 'counter', help: 'Payload bytes of WebSocket messages sent (a broadcast counts once per recipient).', samples: one((w) => w.bytesSent) },
  {
    name: 'ody_handshakes_rejected_total', type: 'counter', help: 'WebSocket handshakes refused, by reason.',
    samples: (w) => REJECT_REASONS.map((reason) => [{ reason }, w.handshakesRejected[reason] ?? 0]),
  },
  { name: 'ody_backpressure_drops_total', type: 'counter', help: 'Messages to one client dropped because it read too slowly.', samples: one((w) => w.backpressureDrops) },
  { name: 'ody_callback_errors_total', type: 'counter', help: 'Callbacks, routes and middleware that threw or rejected.', samples: one((w) => w.callbackErrors) },
  {
    name: 'ody_webhooks_dropped_total', type: 'counter', help: 'Webhook batches dropped, by reason: the queue was full (the oldest is dropped) or retries ran out.',
    samples: (w) => [[{ reason: 'overflow' }, w.webhooksDropped.overflow], [{ reason: 'gave_up' }, w.webhooksDropped.gave_up]],
  },
  { name: 'ody_sockets_over_budget_total', type: 'counter', help: 'Pusher sockets closed (4303) for sending more messages than their app allows per second.', samples: one((w) => w.overBudget) },
  { name: 'ody_process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the worker process.', samples: one((w) => w.residentMemoryBytes) },
  { name: 'ody_adapter_up', type: 'gauge', help: 'Whether the adapter to other workers or nodes is connected (1) or not (0).', samples: (w) => (w.adapter ? [[{ driver: w.adapter.driver }, w.adapter.up ? 1 : 0]] : []) },
];

/** Label values may hold anything; the format needs backslash, quote and newline escaped. */
function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition text: each family once (HELP, TYPE, then one sample per worker and label set). */
export function renderMetrics(perWorker: WorkerMetrics[]): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    const samples = perWorker.flatMap((w) => family.samples(w).map(([labels, value]) => [{ worker: w.worker, ...labels }, value] as const));
    if (samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',');
      lines.push(`${family.name}{${text}} ${formatValue(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The Content-Type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
