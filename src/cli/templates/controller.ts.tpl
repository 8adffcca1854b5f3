// The app's callbacks: each runs for one event of one connection (config/websockets.ts maps them).
import { type Frame, type Handshake, logger, type OpenRequest, type WsServer } from '@ody/websocket-server';

export class AppController {
  /** An upgrade request arrived. Return to accept; handshake.reject(401, 'why') refuses; handshake.data travels with the connection. */
  onHandshake(request: Request, handshake: Handshake): void {}

  /** The WebSocket is open; request.fd names it from now on (server.push(fd, data), server.disconnect(fd), ...). */
  onOpen(server: WsServer, request: OpenRequest): void {
    logger.info(`connection ${request.fd} open from ${request.remoteAddress}`);
  }

  /** A message arrived: frame.data is a string (text) or bytes (binary). This app echoes it. */
  onMessage(server: WsServer, frame: Frame): void {
    server.push(frame.fd, frame.data);
  }

  /** An open WebSocket ended, whatever the cause; code 1006 means the peer vanished without a close frame. */
  onClose(server: WsServer, fd: number, code: number, reason: string): void {
    logger.info(`connection ${fd} closed (${code}${reason ? ` ${reason}` : ''})`);
  }

  /** A connection ended without becoming a WebSocket: its handshake was refused or failed. */
  onDisconnect(server: WsServer, fd: number): void {}

  /** A plain HTTP request no route matched. (/health, /ready and /metrics are answered before it.) */
  onRequest(request: Request, server: WsServer): Response {
    return new Response('This is a WebSocket server.\n');
  }
}
