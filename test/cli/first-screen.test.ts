// Rule: the start lines tell a newcomer where to look: the demo page's URL (when the built-in Server answers HTTP),
// each Pusher app's endpoints, workers and adapter, and a warning while the development secret is in use; the same
// under `start -d`, in the terminal.
import { beforeAll, expect, test } from 'bun:test';
import { ensureBinary, project, runOdy, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const APP_ENV = 'WEBSOCKET_APP_ID=app1\nWEBSOCKET_APP_KEY=key1\nWEBSOCKET_APP_SECRET=app-secret-0123\n';
/** The start lines after "listening on", without timestamps and process tags. */
const after = (output: string) => output.slice(output.indexOf('listening on')).split('\n').slice(1).filter(Boolean).map((l) => l.replace(/^\S+ (\w+) (\[primary\] )?/, '$1 '));

test('no config, a Pusher app in .env, the default secret: demo page, app endpoints, layout, and the warning', async () => {
  const dir = project({ '.env': `WEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=2\n${APP_ENV}` });
  await using ody = await startOdy(['websocket', 'start'], dir);
  await until(() => ody.output().includes('development secret'), 'the start lines', 5000);
  expect(after(ody.output())).toEqual([
    `info demo page: ${ody.http}/ (presence: ${ody.http}/presence) · 2 workers, adapter: ipc`,
    `info Pusher app 'app1': clients ${ody.url}/app/key1 · HTTP API ${ody.http}/apps/app1`,
    'warning the development secret key is in use: fine on loopback, refused on any other address; set WEBSOCKET_SECRET_KEY in .env before you deploy',
  ]);
});

test('own callbacks and secret: only workers and adapter, no demo page, no warning', async () => {
  const dir = project({
    'config/websockets.ts': `export default { port: 0, secretKey: 'own-secret-0123456789', callbacks: { request: () => new Response('mine') }, additional: { workerNum: 1 } };\n`,
  });
  await using ody = await startOdy(['websocket', 'start'], dir);
  await until(() => after(ody.output()).length > 0, 'the start lines', 5000);
  await ody.stop();
  expect(after(ody.output()).filter((l) => !/SIGTERM|ody stopped/.test(l))).toEqual(['info 1 worker, adapter: memory']);
});

test('start -d prints the same lines in the terminal', async () => {
  const dir = project({ '.env': `WEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=1\n${APP_ENV}` });
  const started = await runOdy(['websocket', 'start', '-d'], dir);
  try {
    const url = started.stdout.match(/on (ws:\/\/\S+?);/)![1]!;
    const http = url.replace(/^ws/, 'http');
    expect(started.stdout.split('\n').slice(1)).toEqual([
      `  demo page: ${http}/ (presence: ${http}/presence) · 1 worker, adapter: memory`,
      `  Pusher app 'app1': clients ${url}/app/key1 · HTTP API ${http}/apps/app1`,
      '  warning: the development secret key is in use: fine on loopback, refused on any other address; set WEBSOCKET_SECRET_KEY in .env before you deploy',
      '',
    ]);
  } finally {
    expect((await runOdy(['websocket', 'stop'], dir)).code).toBe(0);
  }
});
