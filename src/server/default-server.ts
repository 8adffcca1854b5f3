// The built-in Server callbacks: secret-key handshake, a chat-room relay, HTTP broadcast, demo page.
import { ContextManager } from '../connections/context';
import { bearerToken, hasApiKey, safeEqual } from '../http/auth';
import { readBody } from '../http/body';
import { verifyToken } from '../http/token';
import { logger } from '../log/logger';
import { demoPage } from './demo-page';
import { presenceRoute } from './presence-page';
import type { Handshake } from './handshake';
import type { Frame, OpenRequest } from './types';
import type { WsServer } from './ws-server';

/** Subprotocol a client offers beside the secret so the server can answer without echoing the secret. */
export const APP_PROTOCOL = 'ody';

const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Clients that offered protocols need one back; prefer 'ody' so the secret is never echoed. */
function answerProtocol(handshake: Handshake, secret: string): void {
  const offered = handshake.offeredProtocols;
  const chosen = offered.includes(APP_PROTOCOL) ? APP_PROTOCOL : offered.find((p) => !safeEqual(p, secret)) ?? offered[0];
  if (chosen) handshake.setProtocol(chosen);
}

export class Server {
  /**
   * Accepts the secret key (trusted clients) as a subprotocol (as the PHP original) or `Authorization: Bearer`,
   * or a token from signToken() (browsers) there or in `?token=`; 401 otherwise. A token's payload is put on
   * the connection as `data.token`. The raw secret is never taken from the URL: URLs end up in proxy logs.
   */
  static onHandshake(request: Request, handshake: Handshake): void {
    const secret = handshake.server.config.secretKey;
    const inHeaders = [...handshake.offeredProtocols, bearerToken(request) ?? ''];
    if (inHeaders.some((credential) => safeEqual(credential, secret))) return answerProtocol(handshake, secret);
    let refusal = 'send the secret key or a token as a subprotocol or an Authorization: Bearer header, or a token as ?token=';
    for (const credential of [...inHeaders, new URL(request.url).searchParams.get('token') ?? '']) {
      if (!credential.includes('.')) continue; // 'ody' and other plain subprotocols are not tokens
      const check = verifyToken(credential, secret);
      if (check.ok) {
        handshake.data.token = check.payload;
        return answerProtocol(handshake, secret);
      }
      refusal = check.reason === 'expired' ? 'token expired' : 'invalid token';
    }
    handshake.reject(401, `Unauthorized: ${refusal}\n`, { 'www-authenticate': 'Bearer' });
  }

  static onOpen(server: WsServer, request: OpenRequest): void {
    const table = ContextManager.get('FdsTable');
    const name = `Client-${String(request.fd).padStart(6, '0')}`;
    table.set(request.fd, { fd: request.fd, name });
    logger.info(`Connection <${request.fd}> open by ${name}. Total connections: ${table.count()}`);
  }

  /** Relays the message to every other connected client. */
  static onMessage(server: WsServer, frame: Frame): void {
    const sender = ContextManager.get('FdsTable').get(frame.fd, 'name') ?? `fd ${frame.fd}`;
    if (logger.level >= 4) {
      const text = typeof frame.data === 'string' ? frame.data : `<${frame.data.byteLength} bytes>`;
      logger.debug(`Received from ${sender}, message: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
    }
    server.broadcast(frame.data, { except: frame.fd });
  }

  static onClose(server: WsServer, fd: number, code: number): void {
    const table = ContextManager.get('FdsTable');
    table.del(fd);
    logger.info(`Connection <${fd}> closed (code ${code}). Total connections: ${table.count()}`);
  }

  static onDisconnect(server: WsServer, fd: number): void {
    logger.info(`Connection <${fd}> ended before becoming a WebSocket`);
  }

  /**
   * GET / demo page, GET /presence presence demo (with its pusher-js and auth endpoint, when an app is configured),
   * and POST (with x-api-key) to broadcast the body to every client. (/health is answered before any callback.)
   */
  static async onRequest(request: Request, server: WsServer): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === 'GET' && pathname === '/') return new Response(demoPage(), { headers: { 'content-type': 'text/html; charset=utf-8' } });
    const presence = await presenceRoute(request, server.config.apps[0]);
    if (presence) return presence;
    if (request.method === 'POST') {
      if (!hasApiKey(request, server.config.secretKey)) return json({ error: 'unauthorized: send the secret key in x-api-key' }, 401);
      const limit = server.config.additional.maxPayloadLength;
      const bytes = await readBody(request, limit);
      if (!bytes) return json({ error: `body over maxPayloadLength (${limit} bytes)` }, 413);
      const body = bytes.toString('utf8');
      const delivered = server.broadcast(body);
      logger.info(`HTTP broadcast of ${bytes.byteLength} bytes to ${delivered} clients`);
      return json({ delivered });
    }
    return json({ error: 'not found' }, 404);
  }
}
