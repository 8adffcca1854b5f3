// ody's server configuration: every key, with its default. Values come from .env where an env() is used.
import { availableParallelism } from 'node:os';
import { defineConfig, env, Event, Server } from '@ody/websocket-server';

export default defineConfig({
  host: env('WEBSOCKET_HOST', '127.0.0.1'),
  port: env('WEBSOCKET_PORT', 9502),
  sockType: 'tcp',
  callbacks: {
    [Event.ON_HAND_SHAKE]: [Server, 'onHandshake'],
    [Event.ON_OPEN]: [Server, 'onOpen'],
    [Event.ON_MESSAGE]: [Server, 'onMessage'],
    [Event.ON_CLOSE]: [Server, 'onClose'],
    [Event.ON_REQUEST]: [Server, 'onRequest'],
    [Event.ON_DISCONNECT]: [Server, 'onDisconnect'],
  },
  // The default is for loopback development only: ody refuses to bind a public address with it.
  secretKey: env('WEBSOCKET_SECRET_KEY', '123123123'),
  additional: {
    workerNum: env('WEBSOCKET_WORKER_COUNT', availableParallelism()),
    // debug (logs every message's text), trace, info, notice, warning, error
    logLevel: 'info',
    logFile: 'storage/logs/ody_websockets.log',
  },
});
