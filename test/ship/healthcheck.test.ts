// Rule: `ody healthcheck` asks the configured address (a wildcard bind means loopback) and exits 0 on 200,
// else 1 with one line saying what it got; --ready asks the readiness probe.
import { beforeAll, expect, test } from 'bun:test';
import { probeHost } from '../../src/cli/healthcheck';
import { ensureBinary, project, runOdy, startOdy } from '../helpers/binary';
import { freePort } from '../helpers/tools';

beforeAll(() => void ensureBinary(), 120_000);

test('0 with the probe it asked; --ready and a configured path are followed', async () => {
  const port = freePort();
  const dir = project({ 'config/websockets.ts': `export default { port: ${port}, health: { readyPath: '/readyz' }, additional: { workerNum: 1 } };\n` });
  await using _ody = await startOdy(['websocket', 'start'], dir);
  expect(await runOdy(['healthcheck'], dir)).toEqual({ code: 0, stdout: `healthy: GET http://127.0.0.1:${port}/health: 200 {"status":"ok"}\n`, stderr: '' });
  expect(await runOdy(['healthcheck', '--ready'], dir)).toEqual({ code: 0, stdout: `healthy: GET http://127.0.0.1:${port}/readyz: 200 {"status":"ready"}\n`, stderr: '' });
});

test('1 and one line when nothing answers, or when something else answers without 200', async () => {
  const port = freePort();
  const dir = project({ '.env': `WEBSOCKET_PORT=${port}\n` });
  expect(await runOdy(['healthcheck'], dir)).toEqual({ code: 1, stdout: '', stderr: `ody: unhealthy: GET http://127.0.0.1:${port}/health: connection refused (is the server running?)\n` });
  await using other = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('not ody', { status: 404 }) });
  expect(await runOdy(['healthcheck', '--port', String(other.port)], dir)).toEqual({ code: 1, stdout: '', stderr: `ody: unhealthy: GET http://127.0.0.1:${other.port}/health: 404 not ody\n` });
  expect((await runOdy(['healthcheck', '--timeout', 'soon'], dir)).stderr).toBe("ody: --timeout: expected seconds from 1 to 3600, got 'soon'\n");
});

test('a wildcard bind is probed on loopback', () => {
  expect(['0.0.0.0', '::', '127.0.0.2', '::1', 'example.internal'].map(probeHost)).toEqual(['127.0.0.1', '[::1]', '127.0.0.2', '[::1]', 'example.internal']);
});
