// Rule: a reload that cannot apply a changed restart-only setting refuses, names it and exits non-zero, also in a
// folder with no config file (the embedded default reads .env) and with several workers, whose port is the primary's.
import { beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary, project, type Runner, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const BASE = { WEBSOCKET_PORT: '0', WEBSOCKET_HOST: '127.0.0.1' };
const dotEnv = (values: Record<string, string>) => Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join('');

const CASES: [Runner, string, string, string, string][] = [
  ['binary', '1', 'WEBSOCKET_PORT', '45871', 'port (0 -> 45871)'],
  ['binary', '2', 'WEBSOCKET_PORT', '45872', 'port (0 -> 45872)'],
  ['source', '2', 'WEBSOCKET_PORT', '45873', 'port (0 -> 45873)'],
  ['binary', '2', 'WEBSOCKET_HOST', '127.0.0.2', 'host (127.0.0.1 -> 127.0.0.2)'],
  ['binary', '2', 'WEBSOCKET_WORKER_COUNT', '3', 'additional.workerNum (2 -> 3)'],
];

for (const [runner, workers, name, value, named] of CASES) {
  test(`${runner}, ${workers} worker(s), no config file: a new ${name} in .env is refused and named`, async () => {
    const dir = project({ '.env': dotEnv({ ...BASE, WEBSOCKET_WORKER_COUNT: workers }) });
    await using ody = await startOdy(['websocket', 'start'], dir, undefined, { runner });
    writeFileSync(join(dir, '.env'), dotEnv({ ...BASE, WEBSOCKET_WORKER_COUNT: workers, [name]: value }));
    const reload = await runOdy(['websocket', 'reload'], dir, undefined, runner);
    expect(reload.code).toBe(1);
    expect(reload.stderr).toContain(`reload refused, nothing was changed: ${named} only apply on a restart`);
    expect(ody.output()).toContain('reload refused'); // the server's own log says it too
    expect((await fetch(`${ody.http}/health`)).status).toBe(200); // still serving where it was
  }, 30_000);
}
