// Which other nodes hold a transitions key (a channel, a presence member, a signed-in user), learned from the
// questions that already cross the cluster: every 0 -> 1 and 1 -> 0 of a key on any node asks every other node
// (transitions.ts), and answers say who holds it. Only node ids are kept, never sockets or member data.
//
// Why it exists: a node that dies (kill -9, a machine gone silent) announces nothing, and its state dies with it.
// Without knowing what it held, nobody could tell its presence members' channels that they left, or fire the
// vacated webhook of a channel it was the last to hold. See departures.ts for what is done with it.

/** How long a dead node's keys are remembered after it left: far longer than nodes can disagree about when it left. */
export const TOMBSTONE_MS = 60_000;

export class RemoteHolders {
  readonly #byKey = new Map<string, Set<number>>();
  /** Keys a dead node was holding, kept for TOMBSTONE_MS so a slower survivor can still ask who knew. */
  readonly #dead = new Map<number, Set<string>>();

  /** `node` was seen to hold `key` (true) or to have let it go (false). */
  saw(key: string, node: number, holds: boolean): void {
    let nodes = this.#byKey.get(key);
    if (holds) {
      if (!nodes) this.#byKey.set(key, (nodes = new Set()));
      nodes.add(node);
    } else if (nodes?.delete(node) && nodes.size === 0) {
      this.#byKey.delete(key);
    }
  }

  /** Other nodes believed to hold `key`. */
  holders(key: string): ReadonlySet<number> {
    return this.#byKey.get(key) ?? new Set();
  }

  /** A node left: returns the keys it held (and forgets them, keeping a tombstone for TOMBSTONE_MS). */
  drop(dead: number): string[] {
    const keys: string[] = [];
    for (const [key, nodes] of this.#byKey) {
      if (!nodes.delete(dead)) continue;
      keys.push(key);
      if (nodes.size === 0) this.#byKey.delete(key);
    }
    if (keys.length > 0) {
      this.#dead.set(dead, new Set(keys));
      setTimeout(() => this.#dead.delete(dead), TOMBSTONE_MS).unref?.();
    }
    return keys;
  }

  /** Did this node know that `dead` held `key` (still, or in the tombstone)? */
  knew(dead: number, key: string): boolean {
    return this.#byKey.get(key)?.has(dead) === true || this.#dead.get(dead)?.has(key) === true;
  }

  get size(): number {
    return this.#byKey.size;
  }
}
