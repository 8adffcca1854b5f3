// Rule: renderMetrics writes each family once (HELP, TYPE, then one sample per worker), every rejection reason
// at 0 included, label values escaped, and ody_adapter_up only for workers that have an adapter.
import { expect, test } from 'bun:test';
import { rejectReason, renderMetrics, type WorkerMetrics } from './metrics';

const worker = (index: number, extra: Partial<WorkerMetrics> = {}): WorkerMetrics => ({
  worker: String(index), connections: 2 + index, messagesReceived: 10, messagesSent: 20, bytesReceived: 100, bytesSent: 200,
  handshakesRejected: {}, backpressureDrops: 0, callbackErrors: 1, webhooksDropped: { overflow: 0, gave_up: 0 }, overBudget: 0, residentMemoryBytes: 50_000_000, ...extra,
});

test('two workers: one family each, labelled per worker, in a fixed order', () => {
  const text = renderMetrics([worker(0, { handshakesRejected: { unauthorized: 3 } }), worker(1, { backpressureDrops: 7, webhooksDropped: { overflow: 4, gave_up: 1 }, overBudget: 2 })]);
  const reasons = (w: string, unauthorized: number) =>
    ['bad_request', 'unauthorized', 'forbidden', 'rate_limited', 'server_full', 'error', 'other'].map(
      (r) => `ody_handshakes_rejected_total{worker="${w}",reason="${r}"} ${r === 'unauthorized' ? unauthorized : 0}`,
    );
  expect(text).toBe(
    [
      '# HELP ody_connections Open WebSocket connections.',
      '# TYPE ody_connections gauge',
      'ody_connections{worker="0"} 2',
      'ody_connections{worker="1"} 3',
      '# HELP ody_messages_received_total WebSocket messages received from clients.',
      '# TYPE ody_messages_received_total counter',
      'ody_messages_received_total{worker="0"} 10',
      'ody_messages_received_total{worker="1"} 10',
      '# HELP ody_messages_sent_total WebSocket messages sent to clients (a broadcast counts once per recipient).',
      '# TYPE ody_messages_sent_total counter',
      'ody_messages_sent_total{worker="0"} 20',
      'ody_messages_sent_total{worker="1"} 20',
      '# HELP ody_bytes_received_total Payload bytes of WebSocket messages received.',
      '# TYPE ody_bytes_received_total counter',
      'ody_bytes_received_total{worker="0"} 100',
      'ody_bytes_received_total{worker="1"} 100',
      '# HELP ody_bytes_sent_total Payload bytes of WebSocket messages sent (a broadcast counts once per recipient).',
      '# TYPE ody_bytes_sent_total counter',
      'ody_bytes_sent_total{worker="0"} 200',
      'ody_bytes_sent_total{worker="1"} 200',
      '# HELP ody_handshakes_rejected_total WebSocket handshakes refused, by reason.',
      '# TYPE ody_handshakes_rejected_total counter',
      ...reasons('0', 3),
      ...reasons('1', 0),
      '# HELP ody_backpressure_drops_total Messages to one client dropped because it read too slowly.',
      '# TYPE ody_backpressure_drops_total counter',
      'ody_backpressure_drops_total{worker="0"} 0',
      'ody_backpressure_drops_total{worker="1"} 7',
      '# HELP ody_callback_errors_total Callbacks, routes and middleware that threw or rejected.',
      '# TYPE ody_callback_errors_total counter',
      'ody_callback_errors_total{worker="0"} 1',
      'ody_callback_errors_total{worker="1"} 1',
      '# HELP ody_webhooks_dropped_total Webhook batches dropped, by reason: the queue was full (the oldest is dropped) or retries ran out.',
      '# TYPE ody_webhooks_dropped_total counter',
      'ody_webhooks_dropped_total{worker="0",reason="overflow"} 0',
      'ody_webhooks_dropped_total{worker="0",reason="gave_up"} 0',
      'ody_webhooks_dropped_total{worker="1",reason="overflow"} 4',
      'ody_webhooks_dropped_total{worker="1",reason="gave_up"} 1',
      '# HELP ody_sockets_over_budget_total Pusher sockets closed (4303) for sending more messages than their app allows per second.',
      '# TYPE ody_sockets_over_budget_total counter',
      'ody_sockets_over_budget_total{worker="0"} 0',
      'ody_sockets_over_budget_total{worker="1"} 2',
      '# HELP ody_process_resident_memory_bytes Resident memory of the worker process.',
      '# TYPE ody_process_resident_memory_bytes gauge',
      'ody_process_resident_memory_bytes{worker="0"} 50000000',
      'ody_process_resident_memory_bytes{worker="1"} 50000000',
      '',
    ].join('\n'),
  );
});

test('ody_adapter_up appears for workers with an adapter: 1 up, 0 down, driver label escaped', () => {
  const text = renderMetrics([worker(0, { adapter: { driver: 'redis', up: true } }), worker(1, { adapter: { driver: 'we"ird\\\n', up: false } }), worker(2)]);
  const adapterLines = text.split('\n').filter((l) => l.includes('ody_adapter_up'));
  expect(adapterLines).toEqual([
    '# HELP ody_adapter_up Whether the adapter to other workers or nodes is connected (1) or not (0).',
    '# TYPE ody_adapter_up gauge',
    'ody_adapter_up{worker="0",driver="redis"} 1',
    'ody_adapter_up{worker="1",driver="we\\"ird\\\\\\n"} 0',
  ]);
});

test('rejection reasons follow the status a handshake got', () => {
  expect([400, 401, 403, 429, 503, 500, 502, 418].map(rejectReason)).toEqual(['bad_request', 'unauthorized', 'forbidden', 'rate_limited', 'server_full', 'error', 'error', 'other']);
});
