// Rule: each of the six callbacks fires at its lifecycle point with the documented arguments.
import { expect, test } from 'bun:test';
import { Event, type Frame, type Handshake, type OpenRequest, type WsServer } from '../../src/index';
import { connect, open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

test('onHandshake sees the request and a handshake whose data reaches onOpen', async () => {
  const events: unknown[] = [];
  await using s = serve({
    callbacks: {
      [Event.ON_HAND_SHAKE]: (req: Request, hs: Handshake) => {
        events.push(['handshake', new URL(req.url).pathname, hs.fd]);
        hs.data.user = 'ada';
        hs.setHeader('x-ody-test', 'yes');
      },
      [Event.ON_OPEN]: (server: WsServer, r: OpenRequest) => {
        events.push(['open', r.fd, new URL(r.url).pathname, r.headers.get('x-client'), r.data.user, server.isEstablished(r.fd)]);
      },
    },
  });
  using c = await open(`${s.ws}/room?x=1`, { headers: { 'x-client': 'probe' } });
  await until(() => events.length === 2, 'open');
  expect(events).toEqual([['handshake', '/room', 1], ['open', 1, '/room', 'probe', 'ada', true]]);
});

test('an async onHandshake can reject with a status; onDisconnect fires, onOpen does not', async () => {
  const events: unknown[] = [];
  await using s = serve({
    callbacks: {
      handshake: async (_req: Request, hs: Handshake) => {
        await Bun.sleep(10);
        hs.reject(403, 'go away');
      },
      open: () => void events.push('open'),
      disconnect: (_s: WsServer, fd: number) => void events.push(['disconnect', fd]),
    },
  });
  const res = await fetch(s.http, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
  expect([res.status, await res.text()]).toEqual([403, 'go away']);
  await until(() => events.length === 1, 'disconnect');
  expect(events).toEqual([['disconnect', 1]]);
});

test('onHandshake returning a Response or false rejects; a thrown error rejects with 500', async () => {
  const fds: number[] = [];
  let mode = 0;
  using logs = captureLogs();
  await using s = serve({
    callbacks: {
      handshake: () => {
        mode++;
        if (mode === 1) return new Response('nope', { status: 401 });
        if (mode === 2) return false;
        throw new Error('boom');
      },
      disconnect: (_s: WsServer, fd: number) => void fds.push(fd),
    },
  });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = connect(s.ws);
    await c.closed;
  }
  for (let i = 0; i < 3; i++) {
    const res = await fetch(s.http, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
    statuses.push(res.status);
  }
  await until(() => fds.length === 6, 'six disconnects');
  expect(fds).toEqual([1, 2, 3, 4, 5, 6]);
  expect(statuses).toEqual([500, 500, 500]); // modes 4..6 all throw
  expect(logs.lines.filter((l) => l.startsWith('error'))).toEqual([3, 4, 5, 6].map((fd) => `error onHandshake failed (fd ${fd}): Error: boom`));
});

test('onMessage receives a Frame for text (opcode 1) and binary (opcode 2)', async () => {
  const frames: Frame[] = [];
  await using s = serve({ callbacks: { message: (_s: WsServer, f: Frame) => void frames.push(f) } });
  using c = await open(s.ws);
  c.send('héllo');
  c.send(new Uint8Array([0, 1, 255]));
  await until(() => frames.length === 2, 'two frames');
  expect(frames[0]).toEqual({ fd: 1, data: 'héllo', opcode: 1, finish: true });
  expect([frames[1]!.opcode, [...(frames[1]!.data as Uint8Array)]]).toEqual([2, [0, 1, 255]]);
});

test('onClose receives the code and reason the client sent', async () => {
  const closes: unknown[] = [];
  await using s = serve({ callbacks: { close: (_s: WsServer, fd: number, code: number, reason: string) => void closes.push([fd, code, reason]) } });
  const c = await open(s.ws, { lib: 'ws' });
  c.close(4001, 'bye now');
  await until(() => closes.length === 1, 'close');
  expect(closes).toEqual([[1, 4001, 'bye now']]);
});

test('onClose gets 1006 when the client process is killed', async () => {
  const closes: unknown[] = [];
  await using s = serve({ callbacks: { close: (_s: WsServer, fd: number, code: number) => void closes.push([fd, code]) } });
  const child = Bun.spawn([process.execPath, '-e', `const w = new WebSocket('${s.ws}'); w.onopen = () => console.log('open'); setInterval(() => {}, 1000);`], { stdout: 'pipe' });
  const reader = child.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toContain('open');
  await until(() => s.server.count() === 1, 'server side open');
  child.kill(9);
  await child.exited;
  await until(() => closes.length === 1, 'close after kill');
  expect(closes).toEqual([[1, 1006]]);
});

test('onRequest answers plain HTTP; undefined means 204, a throw means 500', async () => {
  using logs = captureLogs();
  await using s = serve({
    callbacks: {
      request: (req: Request, server: WsServer) => {
        const path = new URL(req.url).pathname;
        if (path === '/empty') return;
        if (path === '/boom') throw new Error('boom');
        return Response.json({ path, connections: server.count() });
      },
    },
  });
  const ok = await fetch(`${s.http}/x`);
  expect([ok.status, await ok.json()]).toEqual([200, { path: '/x', connections: 0 }]);
  expect((await fetch(`${s.http}/empty`)).status).toBe(204);
  expect((await fetch(`${s.http}/boom`)).status).toBe(500);
  expect(logs.lines.filter((l) => l.startsWith('error'))).toEqual(['error onRequest failed (GET /boom): Error: boom']);
});

test('with no callbacks: handshakes are accepted, messages ignored, HTTP is 404', async () => {
  await using s = serve({ callbacks: {} });
  using c = await open(s.ws, { protocols: ['chat'] });
  expect(c.protocol()).toBe('chat'); // the first offered protocol is selected so strict clients connect
  c.send('ignored');
  expect(s.server.count()).toBe(1);
  const res = await fetch(s.http);
  expect(res.status).toBe(404);
});

test('[Class, method] pairs: static methods, and instance methods on one shared instance', async () => {
  const log: string[] = [];
  class Controller {
    count = 0;
    static onOpen(server: WsServer, r: OpenRequest) {
      log.push(`static open ${r.fd}`);
    }
    onMessage(server: WsServer, f: Frame) {
      this.count++;
      server.push(f.fd, `${this.count}:${f.data}`);
    }
    onClose() {
      log.push(`close after ${this.count}`);
    }
  }
  await using s = serve({ callbacks: { open: [Controller, 'onOpen'], message: [Controller, 'onMessage'], close: [Controller, 'onClose'] } });
  const c = await open(s.ws);
  c.send('a');
  c.send('b');
  expect([await c.next(), await c.next()]).toEqual(['1:a', '2:b']);
  c.close();
  await until(() => log.length === 2, 'close');
  expect(log).toEqual(['static open 1', 'close after 2']);
});
