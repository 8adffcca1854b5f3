// How both shared tables pick a free slot (or row) for a new entry, in a way that keeps them small: claims cycle over
// the slots used so far and take a fresh one only when those are nearly all busy. The first touch of a shared page
// costs microseconds, and a table then stays as large as its busiest moment, not as large as its capacity.

/** Tries at a used slot before a fresh one is taken: the used ones are then nearly all busy. */
const PROBES = 8;

/**
 * Claims a free slot for `busy` with a compare-and-swap of its state word (0 = free) and returns its index, or -1
 * when all `capacity` are taken. `cursor` and `used` are word indexes of two header counters shared by every process.
 */
export function claimSlot(i32: Int32Array, cursor: number, used: number, capacity: number, stateWord: (slot: number) => number, busy: number): number {
  const known = Math.min(capacity, Atomics.load(i32, used));
  for (let tries = 0; tries < PROBES && known > 0; tries++) {
    const slot = (Atomics.add(i32, cursor, 1) >>> 0) % known;
    if (Atomics.compareExchange(i32, stateWord(slot), 0, busy) === 0) return slot;
  }
  for (let fresh = Atomics.load(i32, used); fresh < capacity; fresh = Atomics.load(i32, used)) {
    if (Atomics.compareExchange(i32, used, fresh, fresh + 1) !== fresh) continue;
    if (Atomics.compareExchange(i32, stateWord(fresh), 0, busy) === 0) return fresh;
  }
  for (let tries = 0; tries < capacity; tries++) {
    const slot = (Atomics.add(i32, cursor, 1) >>> 0) % capacity;
    if (Atomics.compareExchange(i32, stateWord(slot), 0, busy) === 0) return slot;
  }
  return -1;
}
