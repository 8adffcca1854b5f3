// Rule: the built-in Server's POST broadcast counts the bytes it reads: a chunked body (no Content-Length)
// over maxPayloadLength gets 413 like an announced one, and nothing is broadcast.
import { expect, test } from 'bun:test';
import { defaultConfig } from '../../src/server/default-config';
import { open } from '../helpers/client';
import { serve } from '../helpers/server';

const SECRET = 'test-secret-0123456789';

function chunked(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ === chunks) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(120));
    },
  });
}

test('a streamed 4000-byte POST over a 1024-byte maxPayloadLength gets 413 and reaches no client', async () => {
  await using s = serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: SECRET, additional: { workerNum: 1, logLevel: 'error', maxPayloadLength: 1024 } });
  const c = await open(s.ws, { protocols: ['ody', SECRET] });
  const post = (body: BodyInit) => fetch(s.http, { method: 'POST', headers: { 'x-api-key': SECRET }, body });
  const big = await post(chunked(4, 1000));
  expect([big.status, await big.json()]).toEqual([413, { error: 'body over maxPayloadLength (1024 bytes)' }]);
  const announced = await post('x'.repeat(1025));
  expect(announced.status).toBe(413);
  const small = await post(chunked(2, 100));
  expect([small.status, await small.json()]).toEqual([200, { delivered: 1 }]);
  expect(await c.next()).toBe('x'.repeat(200)); // the first thing the client got is the small body
});
