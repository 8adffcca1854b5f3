// The PHP package's WebSocketController example, in TypeScript against ody's API.
import { ContextManager, type Frame, type Handshake, type OpenRequest, type WsServer } from '@ody/websocket-server';

export class WebSocketController {
  /** Handle a regular HTTP request: here, push its body to every open WebSocket. */
  static async onRequest(request: Request): Promise<Response> {
    const server = ContextManager.get('WsServer');
    const body = await request.text();
    for (const fd of server.connections) {
      // Validate a correct WebSocket connection, otherwise a push may fail.
      if (server.isEstablished(fd)) server.push(fd, body);
    }
    return new Response(null, { status: 200 });
  }

  /** Accept every handshake, tagging the connection. */
  onHandshake(request: Request, handshake: Handshake): void {
    handshake.data.agent = request.headers.get('user-agent') ?? 'unknown';
  }

  onMessage(server: WsServer, frame: Frame): void {
    server.push(frame.fd, `Recv: ${frame.data}`);
  }

  onClose(server: WsServer, fd: number, code: number): void {
    console.log(`closed ${fd} (${code})`);
  }

  onOpen(server: WsServer, request: OpenRequest): void {
    server.push(request.fd, 'Opened');
  }

  static onDisconnect(server: WsServer, fd: number): void {
    // Nothing to clean up: the handshake never completed.
  }
}
