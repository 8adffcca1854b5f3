// Rule: with workers, a reload that changes additional.logLevel changes it for the primary too, not only the workers:
// the primary's own lines (reloads, restarts, signals) follow the level the config now names.
import { beforeAll, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../src/cluster/state';
import { ensureBinary, pidState, project, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const CONFIG = (level: string) => `export default { port: 0, additional: { workerNum: 2, logLevel: '${level}', shutdownTimeout: 1 } };\n`;
const primaryReloads = (dir: string) => readFileSync(join(dir, 'storage/logs/ody_websockets.log'), 'utf8').split('\n').filter((l) => / \[primary\] reloaded \(ody websocket reload\)$/.test(l));

test('workers=2: the primary logs at the level a reload set, down to error and back up to info', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG('info') });
  expect((await runOdy(['websocket', 'start', '-d'], dir)).code).toBe(0);
  const s = pidState(dir);
  try {
    const reload = async (level: string) => {
      writeFileSync(join(dir, 'config/websockets.ts'), CONFIG(level));
      const r = await runOdy(['websocket', 'reload'], dir);
      expect([r.code, r.stderr]).toEqual([0, '']);
    };
    await reload('error'); // the primary's "reloaded" line comes after the switch: not written
    await reload('error');
    expect(primaryReloads(dir)).toEqual([]);
    await reload('info');
    expect(primaryReloads(dir)).toHaveLength(1);
    expect((await runOdy(['websocket', 'stop'], dir)).code).toBe(0);
  } finally {
    for (const pid of [s.pid, ...s.workers]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}, 30_000);
