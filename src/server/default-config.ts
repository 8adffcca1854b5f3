// The embedded default config: what runs when a project has no config/websockets.ts.
import { availableParallelism } from 'node:os';
import { appsFromUrl } from '../apps/config';
import { env } from '../config/env';
import type { OdyConfig } from '../config/schema';
import { Server } from './default-server';
import { Event } from './events';

/** One Pusher app when any of its three variables is set (a missing one is reported by validation). */
function envApps(): OdyConfig['apps'] {
  const url = env('WEBSOCKET_APPS_URL', ''); // apps from postgres:// or sqlite: (src/apps/)
  if (url) return appsFromUrl(url);
  const id = env('WEBSOCKET_APP_ID', '');
  const key = env('WEBSOCKET_APP_KEY', '');
  const secret = env('WEBSOCKET_APP_SECRET', '');
  const maxEventSize = env('WEBSOCKET_APP_MAX_EVENT_SIZE', 0); // also from REVERB_APP_MAX_MESSAGE_SIZE (src/apps/env-compat.ts)
  return id || key || secret ? [{ id, key, secret, ...(maxEventSize ? { maxEventSize } : {}) }] : [];
}

export function defaultConfig(): OdyConfig {
  return {
    host: env('WEBSOCKET_HOST', '127.0.0.1'),
    port: env('WEBSOCKET_PORT', 9502),
    callbacks: {
      [Event.ON_HAND_SHAKE]: [Server, 'onHandshake'],
      [Event.ON_OPEN]: [Server, 'onOpen'],
      [Event.ON_MESSAGE]: [Server, 'onMessage'],
      [Event.ON_CLOSE]: [Server, 'onClose'],
      [Event.ON_REQUEST]: [Server, 'onRequest'],
      [Event.ON_DISCONNECT]: [Server, 'onDisconnect'],
    },
    secretKey: env('WEBSOCKET_SECRET_KEY', '123123123'),
    adapter: {
      driver: env('WEBSOCKET_ADAPTER', 'memory') as 'memory' | 'redis',
      url: env('REDIS_URL', 'redis://127.0.0.1:6379'),
    },
    apps: envApps(),
    additional: {
      workerNum: env('WEBSOCKET_WORKER_COUNT', availableParallelism()),
    },
  };
}
