// What an app binary is compiled from (ody build): ody's public API, which '@ody/websocket-server' resolves to, and runApp.
export * from '../index';
export { runApp } from './app';
