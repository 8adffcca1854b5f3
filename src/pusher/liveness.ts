// Pusher's own keep-alive, beside the WebSocket's: a client silent for its app's activityTimeout is sent pusher:ping,
// and one silent as long again is told 4201 and closed (pusher-js then reconnects at once).
import type { ResolvedApp } from '../config/schema';
import type { Socket } from '../server/node';
import { CLOSE, errorFrame, frame } from './frames';
import { pusherOf } from './server';

export class Liveness {
  readonly #sockets = new Set<Socket>();
  readonly #sweep: ReturnType<typeof setInterval>;

  constructor(apps: readonly ResolvedApp[]) {
    // Half the shortest timeout, within 250 ms .. 5 s: late by at most that much, never a busy loop.
    const every = Math.min(5000, Math.max(250, (Math.min(...apps.map((a) => a.activityTimeout)) * 1000) / 2));
    this.#sweep = setInterval(() => this.#check(), every);
    this.#sweep.unref?.();
  }

  /** Established Pusher sockets of a known app (the ones a graceful stop tells to reconnect). */
  get sockets(): ReadonlySet<Socket> {
    return this.#sockets;
  }

  add(ws: Socket): void {
    this.#sockets.add(ws);
  }

  delete(ws: Socket): void {
    this.#sockets.delete(ws);
  }

  stop(): void {
    clearInterval(this.#sweep);
  }

  /** Server pings after activityTimeout of silence; a client silent as long again is closed with 4201. */
  #check(): void {
    const now = Date.now();
    for (const ws of this.#sockets) {
      const conn = pusherOf(ws);
      const timeout = conn.app!.activityTimeout * 1000;
      if (conn.pingedAt === 0 && now - conn.lastSeen >= timeout) {
        conn.pingedAt = now;
        ws.send(frame('pusher:ping', {}));
      } else if (conn.pingedAt !== 0 && now - conn.pingedAt >= timeout) {
        ws.send(errorFrame(CLOSE.pongTimeout, 'Pong reply not received in time'));
        ws.close(CLOSE.pongTimeout, 'Pong reply not received in time');
      }
    }
  }
}
