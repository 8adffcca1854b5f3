// What onOpen receives, as a class: the headers, the client's address and the per-connection data object are made
// only if the callback asks (an object literal with getters costs more per connection than the whole lookup it saves).
import type { Socket } from './node';
import type { OpenRequest } from './types';

export class OpenedConnection implements OpenRequest {
  readonly fd: number;
  readonly url: string;
  readonly protocol: string;
  readonly #ws: Socket;
  readonly #request: Request;

  constructor(ws: Socket, request: Request) {
    const d = ws.data;
    this.fd = d.fd;
    this.url = d.url;
    this.protocol = d.protocol;
    this.#ws = ws;
    this.#request = request;
  }

  get data(): Record<string, unknown> {
    return (this.#ws.data.data ??= {});
  }

  get headers(): Headers {
    return this.#request.headers;
  }

  get remoteAddress(): string {
    const d = this.#ws.data;
    return (d.remoteAddress ||= this.#ws.remoteAddress);
  }
}
