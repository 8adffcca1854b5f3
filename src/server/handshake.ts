// Handshake: what onHandshake uses to accept, reject or decorate an upgrade before it happens.
import type { WsServer } from './ws-server';

export class Handshake {
  /** Per-connection data; onOpen and getClientInfo see it, and it lives as long as the socket. */
  data: Record<string, unknown> = {};
  /** Extra headers for the 101 response (or for the rejection). */
  readonly headers = new Headers();
  #protocol = '';
  #rejection: Response | null = null;

  constructor(
    readonly fd: number,
    readonly request: Request,
    readonly server: WsServer,
  ) {}

  /** Subprotocols the client offered in Sec-WebSocket-Protocol, in order. */
  get offeredProtocols(): string[] {
    const header = this.request.headers.get('sec-websocket-protocol');
    return header ? header.split(',').map((p) => p.trim()).filter(Boolean) : [];
  }

  /** The subprotocol to answer with; clients that offered protocols fail the handshake without one. */
  setProtocol(protocol: string): this {
    this.#protocol = protocol;
    return this;
  }

  get protocol(): string {
    return this.#protocol;
  }

  setHeader(name: string, value: string): this {
    this.headers.set(name, value);
    return this;
  }

  /** Accepts the upgrade (the default); undoes an earlier reject(). */
  accept(): this {
    this.#rejection = null;
    return this;
  }

  /** Refuses the upgrade with an HTTP response; onDisconnect fires for this fd. */
  reject(status = 403, body: BodyInit | null = 'Forbidden', headers?: HeadersInit): this {
    const merged = new Headers(this.headers);
    for (const [k, v] of new Headers(headers)) merged.set(k, v);
    this.#rejection = new Response(body, { status, headers: merged });
    return this;
  }

  get rejection(): Response | null {
    return this.#rejection;
  }
}
