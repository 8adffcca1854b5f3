// Rule: a client that never reads cannot make the server buffer more than backpressureLimit for it; others keep getting messages.
import { expect, test } from 'bun:test';
import type { WsServer } from '../../src/index';
import { open } from '../helpers/client';
import { serve, until } from '../helpers/server';

const LIMIT = 256 * 1024;
const CHUNK = 'x'.repeat(64 * 1024);

/** A raw TCP client that completes the handshake, then stops reading (the kernel buffers fill, then the server's). */
async function neverReads(url: string): Promise<Disposable> {
  const { hostname, port } = new URL(url);
  const upgraded = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(sock) {
        sock.pause();
        upgraded.resolve();
      },
    },
  });
  socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await upgraded.promise;
  return { [Symbol.dispose]: () => socket.end() };
}

test('drop (the default): the slow socket\'s buffer stays near the limit, it stays open, and a reading client gets everything', async () => {
  await using s = serve({ additional: { backpressureLimit: LIMIT } });
  using _slow = await neverReads(s.ws);
  using reader = await open(s.ws, { lib: 'ws' });
  await until(() => s.server.count() === 2, 'both open');
  const slow = s.node.socket(1)!;
  let sent = 0;
  let maxBuffered = 0;
  let dropsFrom = -1; // first batch in which a message to the slow socket was dropped
  // Broadcast in batches until messages to the slow socket are dropped, then as many batches again.
  for (let batch = 0; batch < 500 && (dropsFrom < 0 || batch <= 2 * dropsFrom); batch++) {
    for (let i = 0; i < 4; i++) s.server.broadcast(CHUNK);
    sent += 4;
    maxBuffered = Math.max(maxBuffered, slow.getBufferedAmount());
    if (dropsFrom < 0 && !s.server.push(1, CHUNK)) dropsFrom = batch;
    await until(() => reader.messages.length === sent, `reader has ${sent} messages`);
  }
  expect(dropsFrom).toBeGreaterThanOrEqual(0);
  expect(maxBuffered).toBeGreaterThan(0);
  expect(maxBuffered).toBeLessThanOrEqual(LIMIT + CHUNK.length + 1024); // at most one message past the limit, plus framing
  expect(s.server.isEstablished(1)).toBe(true);
  expect(reader.messages.length).toBe(sent);
});

test('closeOnBackpressureLimit: the slow socket is cut (onClose sees 1006) and the others carry on', async () => {
  const closes: [number, number][] = [];
  await using s = serve({ additional: { backpressureLimit: LIMIT, closeOnBackpressureLimit: true }, callbacks: { close: (_s: WsServer, fd: number, code: number) => void closes.push([fd, code]) } });
  using _slow = await neverReads(s.ws);
  using reader = await open(s.ws, { lib: 'ws' });
  await until(() => s.server.count() === 2, 'both open');
  let sent = 0;
  for (let batch = 0; batch < 500 && s.server.isEstablished(1); batch++) {
    for (let i = 0; i < 4; i++) s.server.broadcast(CHUNK);
    sent += 4;
    await until(() => reader.messages.length === sent, `reader has ${sent} messages`);
  }
  await until(() => closes.length === 1, 'slow socket closed');
  expect(closes).toEqual([[1, 1006]]);
  s.server.broadcast('after');
  await until(() => reader.messages.length === sent + 1, 'reader still served');
  expect(reader.messages.at(-1)).toBe('after');
});
