// Fairness between sockets within one event-loop turn. Bun hands over, in one turn, every frame that every ready
// socket sent: 20 sockets each subscribing to 100 new channels at once (each within its budget, budget.ts) held the
// loop ~100 ms, and a publish arriving meanwhile (everyone else's messages) waited for all of it (issue 19). So at
// most FRAMES_PER_TURN frames are handled per turn; the rest wait, in order per socket, and are handled a turn at a
// time, one frame per socket in turn, with I/O (and other sockets' publishes) in between. Nothing queues in the
// common case: the counter costs one comparison per frame.

/** Frames handled per event-loop turn before the rest wait for the next turn (a few ms of work). */
export const FRAMES_PER_TURN = 256;

export class FrameQueue<S, F> {
  /** Frames handled in this turn; reset by the immediate scheduled with the turn's first one. */
  #handled = 0;
  /** Sockets with frames waiting, in arrival order (the round-robin order), and their frames, oldest first. */
  readonly #waiting = new Map<S, F[]>();

  constructor(
    private readonly handle: (socket: S, frame: F) => void,
    private readonly perTurn = FRAMES_PER_TURN,
  ) {}

  /** A frame arrived: handled now, or (the turn's quota used) after the frames waiting before it. */
  push(socket: S, frame: F): void {
    // Frames wait only while the quota is used up, so when there is room nothing is waiting: order is kept.
    if (this.#handled < this.perTurn) return this.#run(socket, frame);
    const waiting = this.#waiting.get(socket);
    if (waiting) waiting.push(frame);
    else this.#waiting.set(socket, [frame]);
  }

  /** The socket closed: what it sent and was not handled is dropped. */
  forget(socket: S): void {
    this.#waiting.delete(socket);
  }

  get waiting(): number {
    let n = 0;
    for (const frames of this.#waiting.values()) n += frames.length;
    return n;
  }

  #run(socket: S, frame: F): void {
    if (this.#handled++ === 0) setImmediate(this.#nextTurn);
    this.handle(socket, frame);
  }

  readonly #nextTurn = (): void => {
    this.#handled = 0;
    while (this.#waiting.size > 0) {
      for (const [socket, frames] of this.#waiting) {
        if (this.#handled >= this.perTurn) return;
        const frame = frames.shift()!;
        if (frames.length === 0) this.#waiting.delete(socket);
        this.#run(socket, frame);
      }
    }
  };
}
