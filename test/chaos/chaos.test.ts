// Rule (short form of `bun run chaos`): under sequence-numbered traffic, with a worker killed -9, a worker stopped
// and resumed, reloads and log rotation, then SIGTERM to the whole process group, every message arrives exactly
// once or its client saw a close; the stop is clean (1001 for everyone, exit 0) and RSS comes back within bound.
import { expect, test } from 'bun:test';
import { judge } from '../../chaos/judge';
import { runChaos } from '../../chaos/lib';
import { ensureBinary } from '../helpers/binary';

test('chaos, short: nothing lost silently, nothing duplicated, a clean stop', async () => {
  const report = await runChaos({ binary: ensureBinary(), seconds: 6, clients: 12 });
  expect(report.faults.length).toBeGreaterThanOrEqual(4); // every kind of fault happened at least once
  expect(judge(report)).toEqual([]);
}, 90_000);
