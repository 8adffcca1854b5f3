// Rule: malformed handshakes and garbage HTTP get a 4xx on their own connection; the server keeps serving everyone else.
import { expect, test } from 'bun:test';
import type { Frame, WsServer } from '../../src/index';
import { open } from '../helpers/client';
import { serve } from '../helpers/server';

/** Writes raw bytes on a fresh TCP connection; resolves with the status line the server answers (or '' if it just closes). */
async function rawStatus(url: string, bytes: string | Uint8Array): Promise<string> {
  const { hostname, port } = new URL(url);
  const done = Promise.withResolvers<string>();
  let text = '';
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_s, chunk) {
        text += new TextDecoder().decode(chunk);
        if (text.includes('\r\n')) done.resolve(text.slice(0, text.indexOf('\r\n')));
      },
      close: () => done.resolve(text),
      error: () => done.resolve(text),
    },
  });
  socket.write(bytes);
  const status = await done.promise;
  socket.end();
  return status;
}

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n';
const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

const cases: [string, string | Uint8Array, string][] = [
  ['an invalid Sec-WebSocket-Key', `GET / HTTP/1.1\r\nHost: x\r\n${UPGRADE}Sec-WebSocket-Key: not-a-key\r\n\r\n`, 'HTTP/1.1 400 Bad Request'],
  ['a missing Sec-WebSocket-Key', `GET / HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`, 'HTTP/1.1 400 Bad Request'],
  ['a missing Upgrade header', `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n${KEY}\r\n`, 'HTTP/1.1 400 Bad Request'],
  ['huge headers', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(200_000)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large'],
  ['a malformed request line', 'GARBAGE\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
  ['binary junk', new Uint8Array(64).fill(0xff), 'HTTP/1.1 400 Bad Request'],
];

for (const [what, bytes, expected] of cases) {
  test(`${what} gets "${expected.slice(9)}" and the server keeps serving`, async () => {
    await using s = serve({
      callbacks: {
        message: (server: WsServer, f: Frame) => void server.push(f.fd, `echo ${f.data}`),
        request: () => new Response('page'),
      },
    });
    using before = await open(s.ws);
    expect(await rawStatus(s.ws, bytes)).toBe(expected);
    before.send('still there?');
    expect(await before.next()).toBe('echo still there?');
    using after = await open(s.ws, { lib: 'ws' });
    after.send('new client');
    expect(await after.next()).toBe('echo new client');
    expect(await (await fetch(s.http)).text()).toBe('page');
    expect(s.server.stats().connectionsTotal).toBe(2); // the garbage never became a WebSocket
  });
}

test('an invalid handshake fires onDisconnect and never onOpen', async () => {
  const events: unknown[] = [];
  await using s = serve({ callbacks: { open: () => void events.push('open'), disconnect: (_s: WsServer, fd: number) => void events.push(['disconnect', fd]) } });
  expect(await rawStatus(s.ws, `GET / HTTP/1.1\r\nHost: x\r\n${UPGRADE}Sec-WebSocket-Key: short\r\n\r\n`)).toBe('HTTP/1.1 400 Bad Request');
  expect(events).toEqual([['disconnect', 1]]);
});
