// Rule: a frame that arrives in the same packet as the upgrade request is delivered, not refused: the common
// handshake (no middleware, synchronous or no onHandshake) upgrades in the same turn. (Bun 1.4.4 also accepts it
// after an asynchronous upgrade; this guards the path ody takes.)
import { expect, test } from 'bun:test';
import { serve } from '../helpers/server';

/** A masked client text frame (RFC 6455 §5.3). */
function maskedText(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const mask = [1, 2, 3, 4];
  const frame = new Uint8Array(6 + payload.length);
  frame.set([0x81, 0x80 | payload.length, ...mask]);
  payload.forEach((b, i) => (frame[6 + i] = b ^ mask[i % 4]!));
  return frame;
}

async function upgradeWithFrame(port: number): Promise<string> {
  const request = `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const head = new TextEncoder().encode(request);
  const packet = new Uint8Array([...head, ...maskedText('early')]);
  const { promise, resolve } = Promise.withResolvers<string>();
  let got = '';
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_s, chunk) {
        got += Buffer.from(chunk).toString('latin1');
        if (got.includes('echo:early') || got.startsWith('HTTP/1.1 4')) resolve(got);
      },
      close: () => resolve(got),
    },
  });
  socket.write(packet); // one write: the frame rides with the request
  const timer = setTimeout(() => resolve(got), 3000);
  const answer = await promise;
  clearTimeout(timer);
  socket.end();
  return answer;
}

for (const [name, handshake] of [['no onHandshake', undefined], ['a synchronous onHandshake', (_r: Request, hs: { data: Record<string, unknown> }) => void (hs.data.seen = true)]] as const) {
  test(`${name}: a frame sent with the upgrade request is delivered`, async () => {
    await using s = serve({ callbacks: { ...(handshake ? { handshake } : {}), message: (server: any, f: any) => void server.push(f.fd, `echo:${f.data}`) } });
    const answer = await upgradeWithFrame(s.node.bun.port!);
    expect(answer.startsWith('HTTP/1.1 101')).toBe(true);
    expect(answer).toContain('echo:early');
  });
}
