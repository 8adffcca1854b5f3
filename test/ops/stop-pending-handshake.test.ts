// Rule: a handshake still inside an async onHandshake when the server stops is refused (503) instead of
// upgraded after the stop, so no socket opens on a stopped server and stop does not wait out shutdownTimeout.
import { expect, test } from 'bun:test';
import { connect, HANDSHAKE_HEADERS } from '../helpers/client';
import { serve } from '../helpers/server';

test('SIGTERM-like stop during an async onHandshake: 503, onOpen never runs, stop returns', async () => {
  const entered = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const events: string[] = [];
  const s = serve({
    additional: { shutdownTimeout: 600 }, // a stop that waited it out would outlast the test's timeout
    callbacks: {
      handshake: async () => {
        entered.resolve();
        await gate.promise;
      },
      open: () => void events.push('open'),
      disconnect: (_server: unknown, fd: number) => void events.push(`disconnect ${fd}`),
    },
  });
  const answer = fetch(s.http, { headers: HANDSHAKE_HEADERS });
  await entered.promise;
  const stopped = s.stop();
  gate.resolve();
  const res = await answer;
  expect([res.status, await res.text()]).toEqual([503, 'Server is shutting down\n']);
  await stopped;
  expect(events).toEqual(['disconnect 1']);
  expect(s.server.stats()).toMatchObject({ connections: 0, connectionsTotal: 0, handshakesRejected: 1 });
});

test('a WebSocket client whose handshake was pending sees the connection fail, not open', async () => {
  const entered = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<void>();
  const s = serve({ additional: { shutdownTimeout: 600 }, callbacks: { handshake: async () => (entered.resolve(), await gate.promise) } });
  const c = connect(s.ws);
  await entered.promise;
  const stopped = s.stop();
  gate.resolve();
  expect((await c.closed).code).toBe(1006); // the upgrade was refused: the client never had a WebSocket
  await stopped;
  expect(s.server.count()).toBe(0);
});
