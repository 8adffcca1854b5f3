// Rule: ody started with a Soketi unit's environment (its default app and port) serves that app, says so on start,
// and pusher-js with the app's key receives what the pusher SDK triggers with Soketi's id and secret.
import { expect, test } from 'bun:test';
import PusherSdk from 'pusher';
import Pusher from 'pusher-js';
import { bareEnv, project, startOdy } from '../helpers/binary';
import { waitFor } from '../pusher/fixtures';

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

test("Soketi's SOKETI_DEFAULT_APP_* and SOKETI_PORT: the same app on the same port", async () => {
  const port = String(freePort());
  const soketi = { SOKETI_DEFAULT_APP_ID: 'app-id', SOKETI_DEFAULT_APP_KEY: 'app-key', SOKETI_DEFAULT_APP_SECRET: 'app-secret', SOKETI_PORT: port };
  await using ody = await startOdy(['websocket', 'start'], project({}), bareEnv({ ...soketi, WEBSOCKET_WORKER_COUNT: '1' }));
  expect(ody.output()).toContain(`using Soketi's env: WEBSOCKET_APP_ID=app-id (SOKETI_DEFAULT_APP_ID), WEBSOCKET_APP_KEY=app-key (SOKETI_DEFAULT_APP_KEY), WEBSOCKET_APP_SECRET=*** (SOKETI_DEFAULT_APP_SECRET), WEBSOCKET_PORT=${port} (SOKETI_PORT)`);
  expect(new URL(ody.url).port).toBe(port);
  const client = new Pusher('app-key', { wsHost: '127.0.0.1', wsPort: Number(port), forceTLS: false, enabledTransports: ['ws'], disableStats: true, cluster: 'mt1' });
  try {
    const got: unknown[] = [];
    const subscribed = Promise.withResolvers<void>();
    const channel = client.subscribe('news');
    channel.bind('pusher:subscription_succeeded', () => subscribed.resolve());
    channel.bind('headline', (d: unknown) => got.push(d));
    await subscribed.promise;
    const sdk = new PusherSdk({ appId: 'app-id', key: 'app-key', secret: 'app-secret', host: '127.0.0.1', port, useTLS: false });
    expect((await sdk.trigger('news', 'headline', { title: 'hi' })).status).toBe(200);
    await waitFor(() => got.length > 0, 'the event');
    expect(got).toEqual([{ title: 'hi' }]);
  } finally {
    client.disconnect();
  }
}, 30_000);
