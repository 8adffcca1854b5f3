// Event names for the `callbacks` map: the PHP package's constants, Swoole's event strings as values.
export const Event = {
  /** An upgrade request arrives; accept, reject or decorate the handshake. */
  ON_HAND_SHAKE: 'handshake',
  /** The WebSocket is established. */
  ON_OPEN: 'open',
  /** A text or binary message arrives. */
  ON_MESSAGE: 'message',
  /** An established WebSocket ends, whatever the cause (1006 when the peer vanished). */
  ON_CLOSE: 'close',
  /** A plain HTTP request (not an upgrade). */
  ON_REQUEST: 'request',
  /** A connection ends without ever becoming a WebSocket (handshake rejected or failed). */
  ON_DISCONNECT: 'disconnect',
} as const;

export type EventName = (typeof Event)[keyof typeof Event];
export const EVENT_NAMES: readonly EventName[] = Object.values(Event);
