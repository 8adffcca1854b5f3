// The JSON frames of the Pusher protocol that ody sends: one place for their exact shapes.

/** `data` goes out as given: a string stays a string (Pusher's events carry JSON-in-a-string), an object as JSON. */
export function frame(event: string, data: unknown, channel?: string): string {
  return JSON.stringify(channel === undefined ? { event, data } : { event, channel, data });
}

/** pusher:error; `code` null for errors that do not end the connection and have no number in the protocol. */
export function errorFrame(code: number | null, message: string): string {
  return JSON.stringify({ event: 'pusher:error', data: { code, message } });
}

/** pusher:subscription_error, routed by pusher-js to the channel (Echo's `.error()`). */
export function subscriptionError(channel: string, type: string, error: string, status: number): string {
  return JSON.stringify({ event: 'pusher:subscription_error', channel, data: { type, error, status } });
}

/** Close codes (pusher-js acts on the range: 4000-4099 never reconnect, 4100-4199 back off, 4200-4299 at once). */
export const CLOSE = {
  appNotFound: 4001,
  appDisabled: 4003,
  overCapacity: 4004,
  unsupportedProtocol: 4007,
  unauthorized: 4009,
  reconnect: 4200,
  pongTimeout: 4201,
  clientEventRate: 4301,
  watchlistTooLong: 4302,
  /** More frames than the app's messagesPerSecond budget (budget.ts); pusher-js does not reconnect on 43xx. */
  overBudget: 4303,
} as const;
