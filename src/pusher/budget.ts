// The frame budget of one Pusher socket (per app: messagesPerSecond). Bun hands over every frame one socket sent in
// one read, in one turn: a socket sending 150,000 subscribes held the event loop up to 200 ms and cost every other
// client its latency (issue 19). A token bucket on the connection record bounds that: a second's worth of frames
// plus room for a page to leave all its channels and join as many again at once, refilled at messagesPerSecond.
// Checked first for every frame: two numbers on the record, no allocation, no map.
import type { ResolvedApp } from '../config/schema';

/** The bucket's two numbers, kept on the connection record (PusherConn). */
export interface Budget {
  /** Frames the socket may still send now; starts at +Infinity (a full bucket), -Infinity once it went over. */
  budget: number;
  /** Date.now() of the last frame taken from the budget. */
  budgetAt: number;
}

/** Frames a socket may send at once: leave every channel and subscribe to as many again, plus a second's rate. */
export const burstOf = (app: ResolvedApp): number => 2 * app.maxChannelsPerConnection + app.messagesPerSecond;

/** Takes one frame from the budget; false when there is none (the bucket is left as it was). */
export function spend(conn: Budget, app: ResolvedApp, now: number): boolean {
  const rate = app.messagesPerSecond;
  if (rate === 0) return true;
  const tokens = Math.min(burstOf(app), conn.budget + ((now - conn.budgetAt) * rate) / 1000);
  if (!(tokens >= 1)) return false;
  conn.budget = tokens - 1;
  conn.budgetAt = now;
  return true;
}

/** Marks the socket as over its budget; true the first time (then it is to be told and closed). */
export function exhaust(conn: Budget): boolean {
  if (conn.budget === Number.NEGATIVE_INFINITY) return false;
  conn.budget = Number.NEGATIVE_INFINITY;
  return true;
}
