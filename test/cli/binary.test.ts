// Rule: the compiled `ody` runs a bare project folder (config, controller, .env; no node_modules, no Bun on PATH).
import { beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../helpers/client';
import { bareEnv, ensureBinary, project, ROOT, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const CONTROLLER = `
import { ContextManager, type Frame, type OpenRequest, type WsServer } from '@ody/websocket-server';
export class ChatController {
  count = 0;
  onOpen(server: WsServer, request: OpenRequest) {
    server.push(request.fd, 'Opened ' + request.fd + ' same-server=' + (ContextManager.get('WsServer') === server));
  }
  onMessage(server: WsServer, frame: Frame) {
    this.count++;
    server.push(frame.fd, 'Recv #' + this.count + ': ' + frame.data);
  }
}
`;
const CONFIG = `
import { defineConfig, env, Event } from '@ody/websocket-server';
import { ChatController } from '../app/ChatController';
export default defineConfig({
  port: env('WEBSOCKET_PORT', 9502),
  callbacks: { [Event.ON_OPEN]: [ChatController, 'onOpen'], [Event.ON_MESSAGE]: [ChatController, 'onMessage'] },
  additional: { workerNum: 1, logLevel: 'info' },
});
`;

test('loads config/websockets.ts and its controller from a bare folder, reading .env', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, 'app/ChatController.ts': CONTROLLER, '.env': 'WEBSOCKET_PORT=0\n' });
  await using ody = await startOdy(['websocket', 'start'], dir);
  expect(ody.output()).toContain('config: config/websockets.ts');
  using c = await open(ody.url);
  expect(await c.next()).toBe('Opened 1 same-server=true');
  c.send('hello');
  c.send('again');
  expect([await c.next(), await c.next()]).toEqual(['Recv #1: hello', 'Recv #2: again']);
});

test('the colon form websocket:start and --root/--port work from another directory', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, 'app/ChatController.ts': CONTROLLER });
  await using ody = await startOdy(['websocket:start', '--root', dir, '--port', '0'], ROOT);
  using c = await open(ody.url);
  expect(await c.next()).toBe('Opened 1 same-server=true');
});

test('with no config the embedded default Server runs: secret handshake, relay, health', async () => {
  const dir = project({ '.env': 'WEBSOCKET_SECRET_KEY=s3cret-for-test\n' });
  await using ody = await startOdy(['websocket', 'start', '--port', '0'], dir);
  expect(ody.output()).toContain('built-in default Server');
  const denied = await fetch(ody.http, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
  expect(denied.status).toBe(401);
  const a = await open(ody.url, { protocols: ['ody', 's3cret-for-test'] });
  const b = await open(ody.url, { protocols: ['ody', 's3cret-for-test'], lib: 'ws' });
  a.send('hi');
  expect(await b.next()).toBe('hi');
  expect(await (await fetch(`${ody.http}/health`)).json()).toEqual({ status: 'ok' });
  expect(ody.output()).not.toContain('s3cret-for-test');
});

test('SIGTERM and SIGINT close every client with 1001 and exit 0', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const dir = project({ 'config/websockets.ts': CONFIG, 'app/ChatController.ts': CONTROLLER });
    const ody = await startOdy(['websocket', 'start', '--port', '0'], dir);
    const a = await open(ody.url);
    const b = await open(ody.url, { lib: 'ws' });
    const code = await ody.stop(signal);
    expect([code, await a.closed, await b.closed]).toEqual([0, { code: 1001, reason: 'server shutting down' }, { code: 1001, reason: 'server shutting down' }]);
  }
});

test('--version prints the package version; --help lists the commands', async () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const v = await runOdy(['--version'], ROOT);
  expect([v.code, v.stdout.trim()]).toEqual([0, version]);
  const help = await runOdy(['--help'], ROOT);
  expect(help.code).toBe(0);
  expect(help.stdout + help.stderr).toContain('websocket');
  const sub = await runOdy(['websocket', 'start', '--help'], ROOT);
  expect(sub.stdout + sub.stderr).toContain('--port');
});

test('the binary does not need Bun on PATH', () => {
  expect(bareEnv().PATH).toBe('/usr/bin:/bin');
  expect(Bun.spawnSync(['sh', '-c', 'command -v bun'], { env: bareEnv() }).exitCode).not.toBe(0);
});
