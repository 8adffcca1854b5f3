// Rule: liveness is 200 unless the process is gone ('degraded' with the adapter down); readiness is 503, saying why,
// while draining, with the adapter down, or with fewer workers up than configured.
import { expect, test } from 'bun:test';
import { defaultHealth } from '../config/schema';
import { healthProbe, type Readiness } from './health';

/** Asks both probes of a server in the given state; returns [status, body] of each. */
async function probe(state: Readiness): Promise<[number, unknown][]> {
  const answer = healthProbe(defaultHealth(), state);
  const out: [number, unknown][] = [];
  for (const path of ['/health', '/ready']) {
    const res = answer(new Request(`http://127.0.0.1${path}`), path)!;
    out.push([res.status, await res.json()]);
  }
  return out;
}

test('a single process that is not stopping is alive and ready', async () => {
  expect(await probe({ draining: () => false })).toEqual([[200, { status: 'ok' }], [200, { status: 'ready' }]]);
});

test('draining: alive, not ready', async () => {
  expect(await probe({ draining: () => true })).toEqual([[200, { status: 'ok' }], [503, { status: 'not ready', reasons: ['draining'] }]]);
});

test('adapter down: degraded (still 200, a restart would not help) and not ready', async () => {
  const down: Readiness = { draining: () => false, adapter: () => ({ driver: 'redis', state: 'down' }) };
  expect(await probe(down)).toEqual([[200, { status: 'degraded' }], [503, { status: 'not ready', reasons: ['adapter down'] }]]);
  const up: Readiness = { draining: () => false, adapter: () => ({ driver: 'redis', state: 'up' }) };
  expect(await probe(up)).toEqual([[200, { status: 'ok' }], [200, { status: 'ready' }]]);
});

test('workers missing: not ready, with every reason at once', async () => {
  const state: Readiness = { draining: () => true, adapter: () => ({ driver: 'redis', state: 'down' }), workers: () => ({ up: 1, expected: 2 }) };
  expect((await probe(state))[1]).toEqual([503, { status: 'not ready', reasons: ['draining', 'adapter down', '1 of 2 workers up'] }]);
  expect((await probe({ draining: () => false, workers: () => ({ up: 2, expected: 2 }) }))[1]).toEqual([200, { status: 'ready' }]);
});

test('other paths are not probes', () => {
  expect(healthProbe(defaultHealth(), { draining: () => false })(new Request('http://127.0.0.1/healthz'), '/healthz')).toBeUndefined();
});
