// Rule: a failing callback or a bad frame affects only its own connection; every other client keeps being served.
import { expect, test } from 'bun:test';
import type { Frame, WsServer } from '../../src/index';
import { open } from '../helpers/client';
import { captureLogs, serve, until } from '../helpers/server';

test('a throwing onMessage is logged with event and fd, and the server keeps serving', async () => {
  using logs = captureLogs();
  await using s = serve({
    callbacks: {
      message: (server: WsServer, f: Frame) => {
        if (f.data === 'throw') throw new Error('sync kaboom');
        server.push(f.fd, `ok ${f.data}`);
      },
    },
  });
  using bad = await open(s.ws);
  using good = await open(s.ws, { lib: 'ws' });
  bad.send('throw');
  good.send('1');
  bad.send('2');
  expect(await good.next()).toBe('ok 1');
  expect(await bad.next()).toBe('ok 2');
  expect(logs.lines.filter((l) => l.includes('kaboom'))).toEqual(['error onMessage failed (fd 1): Error: sync kaboom']);
  expect(s.server.stats().callbackErrors).toBe(1);
});

test('a rejected async callback is logged, and a slow one does not block other connections', async () => {
  using logs = captureLogs();
  const slow = Promise.withResolvers<void>();
  await using s = serve({
    callbacks: {
      message: async (server: WsServer, f: Frame) => {
        if (f.data === 'slow') await slow.promise;
        if (f.data === 'reject') throw new Error('async kaboom');
        server.push(f.fd, `done ${f.data}`);
      },
    },
  });
  using a = await open(s.ws);
  using b = await open(s.ws);
  a.send('slow');
  b.send('reject');
  b.send('fast');
  expect(await b.next()).toBe('done fast');
  slow.resolve();
  expect(await a.next()).toBe('done slow');
  expect(logs.lines.filter((l) => l.includes('kaboom'))).toEqual(['error onMessage failed (fd 2): Error: async kaboom']);
});

test('a message over maxPayloadLength closes that socket with 1009; others are unaffected', async () => {
  await using s = serve({
    additional: { maxPayloadLength: 1024 },
    callbacks: { message: (server: WsServer, f: Frame) => void server.push(f.fd, `echo ${String(f.data).length}`) },
  });
  const big = await open(s.ws, { lib: 'ws' });
  using other = await open(s.ws);
  big.send('x'.repeat(2048));
  const closed = await big.closed;
  expect(closed.code).toBe(1009);
  other.send('y'.repeat(1000));
  expect(await other.next()).toBe('echo 1000');
});

/** Writes a raw upgrade then one masked frame, returns the close code the server sends. */
async function rawFrame(url: string, opcode: number, payload: Uint8Array): Promise<number> {
  const { hostname, port } = new URL(url);
  const done = Promise.withResolvers<number>();
  let buffer = new Uint8Array(0);
  let upgraded = false;
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(sock, chunk) {
        buffer = new Uint8Array([...buffer, ...chunk]);
        if (!upgraded) {
          const text = new TextDecoder().decode(buffer);
          const end = text.indexOf('\r\n\r\n');
          if (end < 0) return;
          upgraded = true;
          buffer = buffer.slice(end + 4);
          const mask = [1, 2, 3, 4];
          const frame = [0x80 | opcode, 0x80 | payload.length, ...mask, ...payload.map((b, i) => b ^ mask[i % 4]!)];
          sock.write(new Uint8Array(frame));
        }
        // a close frame: 0x88, len, code (2 bytes)
        if (buffer.length >= 4 && buffer[0] === 0x88) done.resolve((buffer[2]! << 8) | buffer[3]!);
      },
      close() {
        done.resolve(-1);
      },
    },
  });
  socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const code = await done.promise;
  socket.end();
  return code;
}

test('invalid UTF-8 in a text frame closes that socket with 1007; others are unaffected', async () => {
  const closes: number[] = [];
  await using s = serve({
    callbacks: {
      message: (server: WsServer, f: Frame) => void server.push(f.fd, `echo ${f.data}`),
      close: (_s: WsServer, _fd: number, code: number) => void closes.push(code),
    },
  });
  using other = await open(s.ws);
  expect(await rawFrame(s.ws, 0x1, new Uint8Array([0x68, 0xff, 0xfe, 0x69]))).toBe(1007);
  other.send('still here');
  expect(await other.next()).toBe('echo still here');
  // onClose still fires for the failed socket (the peer never completed the close handshake here).
  await until(() => closes.length === 1, 'server-side close');
});
