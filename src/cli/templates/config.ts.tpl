// The server's configuration. Values come from the environment or .env where env() is used;
// every key is documented in ody's README ("Configuration").
import { defineConfig, env, Event } from '@ody/websocket-server';
import { AppController } from '../app/AppController';

export default defineConfig({
  host: env('WEBSOCKET_HOST', '127.0.0.1'),
  port: env('WEBSOCKET_PORT', 9502),
  callbacks: {
    [Event.ON_HAND_SHAKE]: [AppController, 'onHandshake'],
    [Event.ON_OPEN]: [AppController, 'onOpen'],
    [Event.ON_MESSAGE]: [AppController, 'onMessage'],
    [Event.ON_CLOSE]: [AppController, 'onClose'],
    [Event.ON_DISCONNECT]: [AppController, 'onDisconnect'],
    [Event.ON_REQUEST]: [AppController, 'onRequest'],
  },
  // Guards /metrics and the server API. The default is refused on anything but loopback:
  // put a long random one in .env or the environment (openssl rand -hex 32).
  secretKey: env('WEBSOCKET_SECRET_KEY', '123123123'),
  additional: {
    workerNum: env('WEBSOCKET_WORKER_COUNT', 1),
    logLevel: 'info',
    logFormat: 'text', // 'json' for log shippers
  },
});
