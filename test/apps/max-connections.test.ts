// Rule: an app's maxConnections counts its open sockets on every worker and node: with one socket on each of two
// nodes and a limit of 2, a third gets pusher:error 4004 and close 4004 wherever it lands; a closed socket frees its place.
import { describe, expect, test } from 'bun:test';
import type { TestClient } from '../helpers/client';
import { redisMissing } from '../helpers/redis';
import { APP, receiver, startCluster, waitFor } from '../pusher/fixtures';
import { pusherSocket } from './fixtures';

/** A socket of the app on a node other than `avoid` (extra sockets are closed, and waited for). */
async function onOtherNode(url: string, avoid: number): Promise<{ client: TestClient; node: number }> {
  for (let tries = 0; tries < 40; tries++) {
    const { client, first } = await pusherSocket(url, APP.key);
    expect(first.event).toBe('pusher:connection_established');
    const node = Number(String(first.data.socket_id).split('.')[1]);
    if (node !== avoid) return { client, node };
    client.close();
    await client.closed;
  }
  throw new Error('no socket landed on another node');
}

for (const mode of ['2 workers', '2 nodes on redis'] as const) {
  describe.skipIf(mode === '2 nodes on redis' && redisMissing())(`maxConnections, ${mode}`, () => {
    test('a third socket over a limit of 2 split across two nodes gets 4004; closing one lets the next in', async () => {
      const hooks = receiver();
      await using c = await startCluster(mode, hooks.url, ', maxConnections: 2');
      try {
        const a = await onOtherNode(c.urls[0]!, -1);
        const b = await onOtherNode(c.urls.at(-1)!, a.node);
        for (const url of c.urls) {
          const third = await pusherSocket(url, APP.key);
          expect(third.first).toEqual({ event: 'pusher:error', data: { code: 4004, message: 'Over capacity: app allows 2 connections' } });
          expect((await third.client.closed).code).toBe(4004);
        }
        b.client.close();
        await b.client.closed;
        await waitFor(async () => (await pusherSocket(c.urls[0]!, APP.key)).first.event === 'pusher:connection_established', 'a place to free up');
        a.client.close();
      } finally {
        hooks.stop();
      }
    }, 60_000);
  });
}
