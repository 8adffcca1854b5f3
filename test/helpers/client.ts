// Test helper: a WebSocket client (Bun's or the npm `ws` package) that records what it receives.
import WsClient from 'ws';

export type Received = string | Uint8Array;

export interface TestClient extends Disposable {
  messages: Received[];
  opened: Promise<void>;
  /** Close code and reason once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** Subprotocol the server chose. */
  protocol(): string;
  /** The next message not yet returned by next(); rejects after `ms`. */
  next(ms?: number): Promise<Received>;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  protocols?: string[];
  headers?: Record<string, string>;
  /** Use the npm `ws` package instead of Bun's WebSocket. */
  lib?: 'bun' | 'ws';
  /** PEM certificate to trust for wss:// (with lib 'ws'). */
  ca?: string;
}

/** Headers of a valid upgrade request, for fetch() when a test wants the HTTP answer to a handshake. */
export const HANDSHAKE_HEADERS = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };

export function connect(url: string, options: ClientOptions = {}): TestClient {
  const messages: Received[] = [];
  const opened = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<{ code: number; reason: string }>();
  let cursor = 0;
  let wake: (() => void) | undefined;
  const onMessage = (data: Received) => {
    messages.push(data);
    wake?.();
  };
  let socket: { send(d: string | Uint8Array): void; close(c?: number, r?: string): void; protocol: string };
  if (options.lib === 'ws') {
    const ws = new WsClient(url, options.protocols ?? [], { headers: options.headers, ca: options.ca });
    ws.on('open', () => opened.resolve());
    ws.on('message', (data, isBinary) => onMessage(isBinary ? new Uint8Array(data as Buffer) : (data as Buffer).toString('utf8')));
    ws.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
    ws.on('error', (error) => opened.reject(error));
    socket = ws;
  } else {
    const ws = new WebSocket(url, { protocols: options.protocols, headers: options.headers } as never);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => opened.resolve();
    ws.onmessage = (e) => onMessage(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer));
    ws.onclose = (e) => {
      opened.reject(new Error(`closed before open (${e.code})`));
      closed.resolve({ code: e.code, reason: e.reason });
    };
    socket = ws;
  }
  opened.promise.catch(() => {}); // a test that expects rejection awaits `closed` instead
  return {
    messages,
    opened: opened.promise,
    closed: closed.promise,
    protocol: () => socket.protocol,
    async next(ms = 3000) {
      const deadline = Date.now() + ms;
      while (cursor >= messages.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no message within ${ms} ms (got ${JSON.stringify(messages)})`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 50));
        });
      }
      return messages[cursor++]!;
    },
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    [Symbol.dispose]: () => socket.close(),
  };
}

/** Connects and waits until open. */
export async function open(url: string, options: ClientOptions = {}): Promise<TestClient> {
  const client = connect(url, options);
  await client.opened;
  return client;
}
