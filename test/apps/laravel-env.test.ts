// Rule: ody started in a Laravel project root with nothing but the .env `php artisan reverb:install` writes serves
// Reverb's app, says so on start, and Laravel Echo configured as resources/js/echo.js does for `broadcaster: 'reverb'`
// receives what the backend (the pusher SDK with Laravel's reverb connection settings) broadcasts on a private channel.
import { expect, test } from 'bun:test';
import Echo from 'laravel-echo';
import PusherSdk from 'pusher';
import Pusher from 'pusher-js';
import { parseDotEnv } from '../../src/config/env';
import { project, startOdy } from '../helpers/binary';
import { waitFor } from '../pusher/fixtures';

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Vite expands ${VAR} in .env values for import.meta.env; our reading of the file does it the same way. */
const expand = (env: Map<string, string>) => (name: string) => env.get(name)!.replace(/\$\{(\w+)\}/g, (_, v: string) => env.get(v) ?? '');

test('a Laravel .env with Reverb settings only: ody serves the app and Echo (reverb) gets a private broadcast', async () => {
  const port = freePort(); // Reverb's 8080 may be taken on this machine: REVERB_SERVER_PORT moves it, as with Reverb
  const dotenv = `APP_NAME=Laravel
APP_ENV=local
APP_KEY=base64:2fl+Ktvkfl+Fuz4Qp/A75G2RTiWVA/ZoKZvp6fiiM10=
APP_URL=http://localhost

BROADCAST_CONNECTION=reverb
REDIS_HOST=127.0.0.1
REDIS_PASSWORD=null
REDIS_PORT=6379

REVERB_APP_ID=583921
REVERB_APP_KEY=qzmd0fx1pprkklwq7ogc
REVERB_APP_SECRET=wrwnrqv0ehxnilqsyb1z
REVERB_HOST="localhost"
REVERB_PORT=${port}
REVERB_SCHEME=http
REVERB_SERVER_PORT=${port}

VITE_REVERB_APP_KEY="\${REVERB_APP_KEY}"
VITE_REVERB_HOST="\${REVERB_HOST}"
VITE_REVERB_PORT="\${REVERB_PORT}"
VITE_REVERB_SCHEME="\${REVERB_SCHEME}"
`;
  const dir = project({ '.env': dotenv, 'artisan': '#!/usr/bin/env php\n', 'config/app.php': '<?php return [];\n' });
  await using ody = await startOdy(['websocket', 'start'], dir);
  expect(ody.output()).toContain(`using Reverb's env: WEBSOCKET_APP_ID=583921 (REVERB_APP_ID), WEBSOCKET_APP_KEY=qzmd0fx1pprkklwq7ogc (REVERB_APP_KEY), WEBSOCKET_APP_SECRET=*** (REVERB_APP_SECRET), WEBSOCKET_PORT=${port} (REVERB_SERVER_PORT)`);
  expect(ody.output()).not.toContain('wrwnrqv0ehxnilqsyb1z');

  const env = parseDotEnv(dotenv);
  const vite = expand(env);
  // The backend: config/broadcasting.php's reverb connection (key, secret, app_id, options host/port/scheme).
  const backend = new PusherSdk({ appId: env.get('REVERB_APP_ID')!, key: env.get('REVERB_APP_KEY')!, secret: env.get('REVERB_APP_SECRET')!, host: env.get('REVERB_HOST')!, port: env.get('REVERB_PORT')!, useTLS: env.get('REVERB_SCHEME') === 'https' });
  // Laravel's /broadcasting/auth for a user allowed on orders.1.
  const laravel = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const form = new URLSearchParams(await request.text());
      return Response.json(backend.authorizeChannel(form.get('socket_id')!, form.get('channel_name')!));
    },
  });
  // resources/js/echo.js as `php artisan install:broadcasting` writes it for Reverb.
  const echo = new Echo({
    broadcaster: 'reverb',
    key: vite('VITE_REVERB_APP_KEY'),
    wsHost: vite('VITE_REVERB_HOST'),
    wsPort: Number(vite('VITE_REVERB_PORT') || 80),
    wssPort: Number(vite('VITE_REVERB_PORT') || 443),
    forceTLS: (vite('VITE_REVERB_SCHEME') || 'https') === 'https',
    enabledTransports: ['ws', 'wss'],
    authEndpoint: `http://127.0.0.1:${laravel.port}/broadcasting/auth`,
    disableStats: true,
    Pusher,
  } as never);
  try {
    const shipped: unknown[] = [];
    const subscribed = Promise.withResolvers<void>();
    echo.private('orders.1').listen('.OrderShipped', (e: unknown) => shipped.push(e)).subscribed(() => subscribed.resolve());
    await subscribed.promise;
    expect((await backend.trigger('private-orders.1', 'OrderShipped', { order: { id: 1 } })).status).toBe(200);
    await waitFor(() => shipped.length > 0, 'the broadcast to reach Echo');
    expect(shipped).toEqual([{ order: { id: 1 } }]);
  } finally {
    echo.disconnect();
    laravel.stop(true);
  }
}, 60_000);
