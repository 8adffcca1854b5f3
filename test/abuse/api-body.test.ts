// Rule: the Pusher HTTP API never reads more than api.maxBodySize of a body: the signature (in the query) is checked
// before the body is read, and a signed body is counted while it streams and cut at the limit (413).
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { serve } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

/** A chunked body that never ends (no Content-Length): a server that reads it whole never answers. */
function endless(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await Bun.sleep(1);
      controller.enqueue(chunk);
    },
  });
}

function signed(base: string, path: string, query: Record<string, string>): string {
  const params: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', ...query };
  const sorted = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const signature = createHmac('sha256', APP.secret).update(`POST\n${path}\n${sorted}`).digest('hex');
  return `${base}${path}?${new URLSearchParams({ ...params, auth_signature: signature })}`;
}

test('an unsigned chunked upload is refused (401) without its body being read', async () => {
  await using server = serve({ apps: [APP], api: { maxBodySize: 64 * 1024 } });
  const response = await fetch(`${server.http}/apps/${APP.id}/events`, { method: 'POST', body: endless() });
  expect(response.status).toBe(401);
});

test('a signed chunked upload over api.maxBodySize is cut at the limit (413)', async () => {
  await using server = serve({ apps: [APP], api: { maxBodySize: 64 * 1024 } });
  const response = await fetch(signed(server.http, `/apps/${APP.id}/events`, { body_md5: '0'.repeat(32) }), { method: 'POST', body: endless() });
  expect([response.status, await response.json()]).toEqual([413, { error: `Body larger than ${64 * 1024} bytes` }]);
});
