// Rule: frames from many sockets arriving together are handled at most a few hundred (FRAMES_PER_TURN) per event-loop turn, so a
// timer (like the publish of everyone else's message) gets its turn before a burst of 20 × 100 subscribes is through;
// each socket's frames are still handled in the order it sent them, and all of them are answered.
import { expect, test } from 'bun:test';
import { connect, type TestClient } from '../helpers/client';
import { serve, until } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

async function established(url: string): Promise<TestClient> {
  const client = connect(`${url}/app/${APP.key}?protocol=7`);
  expect(JSON.parse((await client.next()) as string).event).toBe('pusher:connection_established');
  return client;
}

test('a burst of 2,000 subscribes from 20 sockets lets a timer run in between, and keeps each socket in order', async () => {
  await using server = serve({ apps: [APP] });
  const layer = server.server.pusher!;
  const clients = await Promise.all(Array.from({ length: 20 }, () => established(server.ws)));
  let joins = 0;
  let joinsWhenTimerRan: number | undefined;
  const join = layer.join.bind(layer);
  layer.join = (...args) => {
    if (joins++ === 0) setTimeout(() => (joinsWhenTimerRan = joins), 0);
    return join(...args);
  };
  for (const [s, client] of clients.entries()) for (let c = 0; c < 100; c++) client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `c-${s}-${c}` } }));
  await until(() => clients.every((client) => client.messages.length === 101), 'every subscribe answered', 10_000);
  expect(joins).toBe(2000);
  expect(joinsWhenTimerRan).toBeLessThan(2000);
  for (const [s, client] of clients.entries()) {
    expect(client.messages.slice(1).map((m) => JSON.parse(m as string).channel)).toEqual(Array.from({ length: 100 }, (_, c) => `c-${s}-${c}`));
  }
  for (const client of clients) client.close();
});
