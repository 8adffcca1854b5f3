// A string-keyed map in shared memory, read and written by every process of one machine: FdsTable's rows and the
// per-IP counters live in one each. This module is the only code that knows its offsets.
//
//   header  8 x i32      [0] rows in use  [1] row cursor  [2] rows used so far (claim.ts)
//   locks   B x i32      one spin lock per bucket: 0 free, else the holder's tag (worker index + 1)
//   index   B x 8 ways   [i32 hash (0 = empty way), i32 row + 1]; a key lives in one of two buckets
//   rows    R x rowSize  [i32 state][i32 version][i32 keyLen][i32 valLen][value bytes ...][key bytes ...]
//                        state: 0 free, a tag (claimed, not yet linked), LINKED; version is odd while written
//
// Writers lock the key's two buckets (lower index first), so a key is checked and inserted atomically and two
// writers of different buckets never wait for each other. Readers take no lock: they read a row between two equal,
// even versions (a seqlock). Rows are claimed as claim.ts says, so the table's pages are as many as its busiest
// moment needed. A deleted key frees its way at once: lookups scan both buckets whole, so there are no tombstones.
import { OdyError } from '../errors';
import { claimSlot } from './claim';
import type { Region } from './region';

const WAYS = 8;
const HEADER = 32;
const ROW_HEAD = 16;
const LINKED = -1;
/** A lock held this many spins belongs to a dead process the primary has not reaped yet: say so instead of hanging. */
const SPIN_LIMIT = 50_000_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface MapShape {
  /** Rows the map holds at most. */
  rows: number;
  /** Bytes of key plus value one row holds at most. */
  rowBytes: number;
}

export class SharedMap {
  readonly rows: number;
  readonly rowBytes: number;
  readonly #i32: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #buckets: number;
  /** Word indexes of the parts. */
  readonly #head: number;
  readonly #locks: number;
  readonly #index: number;
  /** Byte offset of row 0, and bytes per row. */
  readonly #rowsAt: number;
  readonly #rowSize: number;
  readonly #key: Uint8Array;
  /** Word views over the whole region, for callers of update() that read or write a value in place. */
  readonly view: { i32: Int32Array; f64: Float64Array };

  /** Bytes a map of this shape needs (a multiple of 8). */
  static bytesFor(shape: MapShape): number {
    const buckets = bucketsFor(shape.rows);
    return HEADER + buckets * 4 + buckets * WAYS * 8 + shape.rows * rowSizeFor(shape.rowBytes);
  }

  /** @param tag this process's tag (worker index + 1): held locks and half-claimed rows are reaped by it. */
  constructor(
    region: Region,
    base: number,
    shape: MapShape,
    readonly tag: number,
  ) {
    this.rows = shape.rows;
    this.rowBytes = shape.rowBytes;
    this.#i32 = region.i32;
    this.#bytes = region.bytes;
    this.#buckets = bucketsFor(shape.rows);
    this.#head = base >> 2;
    this.#locks = this.#head + HEADER / 4;
    this.#index = this.#locks + this.#buckets;
    this.#rowsAt = (this.#index + this.#buckets * WAYS * 2) * 4;
    this.#rowSize = rowSizeFor(shape.rowBytes);
    this.#key = new Uint8Array(shape.rowBytes + 4);
    this.view = { i32: region.i32, f64: region.f64 };
  }

  /** The length of the value at byte offset `at` (as update() and sweep() give it). */
  valueLength(at: number): number {
    return this.#i32[((at - ROW_HEAD) >> 2) + 3]!;
  }

  count(): number {
    return Atomics.load(this.#i32, this.#head);
  }

  /** A copy of the value stored under `key`. */
  get(key: string): Uint8Array | undefined {
    const len = this.#encodeKey(key);
    const hash = hashOf(this.#key, len);
    const [b1, b2] = this.#bucketsOf(hash);
    return this.#find(b1, hash, len) ?? (b2 === b1 ? undefined : this.#find(b2, hash, len));
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores `value` under `key`, replacing what was there. Throws when the row is too large or the map is full. */
  set(key: string, value: Uint8Array): void {
    this.update(key, value.byteLength, (at) => {
      this.#bytes.set(value, at);
    });
  }

  /**
   * Runs `change` on the value of `key` in place, under the key's locks: `fresh` when the row was just made
   * (zero-filled, `valLen` bytes); `drop()` deletes the row afterwards. Returns what `change` returned.
   */
  update<T>(key: string, valLen: number, change: (at: number, fresh: boolean, drop: () => void) => T): T {
    return this.#locked(key, valLen, (found, hash, keyLen, b1, b2) => {
      let way = found;
      let row: number;
      let fresh = false;
      if (way >= 0) {
        row = this.#i32[way + 1]! - 1;
      } else {
        const free = this.#freeWay(b1, b2);
        if (free < 0) throw full(this.rows, 'both buckets of this key are full');
        row = this.#claimRow();
        way = free;
        fresh = true;
      }
      const w = this.#rowWord(row);
      const at = this.#rowsAt + row * this.#rowSize + ROW_HEAD;
      let dropped = false;
      let done = false;
      Atomics.add(this.#i32, w + 1, 1); // odd: readers wait
      try {
        if (fresh || this.#i32[w + 3] !== valLen) {
          const old = fresh ? 0 : this.#i32[w + 3]!;
          this.#bytes.copyWithin(at + valLen, at + old, at + old + keyLen); // the key follows the value
          if (valLen > old) this.#bytes.fill(0, at + old, at + valLen);
          if (fresh) this.#bytes.set(this.#key.subarray(0, keyLen), at + valLen);
          this.#i32[w + 2] = keyLen;
          this.#i32[w + 3] = valLen;
        }
        const result = change(at, fresh, () => (dropped = true));
        done = true;
        return result;
      } finally {
        if (fresh && done) {
          this.#i32[w] = LINKED;
          this.#i32[way + 1] = row + 1;
          Atomics.store(this.#i32, way, hash);
          Atomics.add(this.#i32, this.#head, 1);
        } else if (fresh) {
          Atomics.store(this.#i32, w, 0); // change() threw: the claimed row goes back unused
        }
        Atomics.add(this.#i32, w + 1, 1);
        if (dropped && (done || !fresh)) this.#unlink(way, row);
      }
    });
  }

  delete(key: string): boolean {
    return this.#locked(key, 0, (way) => {
      if (way < 0) return false;
      this.#unlink(way, this.#i32[way + 1]! - 1);
      return true;
    });
  }

  /** Every row, as [key, copy of the value]; rows written meanwhile may or may not be seen (like Swoole's). */
  *entries(): IterableIterator<[string, Uint8Array]> {
    const high = Math.min(this.rows, Atomics.load(this.#i32, this.#head + 2));
    for (let row = 0; row < high; row++) {
      if (this.#i32[this.#rowWord(row)] !== LINKED) continue;
      const read = this.#readRow(row);
      if (read) yield read;
    }
  }

  /** Deletes every row `doomed` picks (it sees the value's byte offset), bucket by bucket under each lock. */
  sweep(doomed: (at: number) => boolean): void {
    for (let b = 0; b < this.#buckets; b++) {
      this.#lock(b, b);
      try {
        for (let k = 0; k < WAYS; k++) {
          const way = this.#index + (b * WAYS + k) * 2;
          if (this.#i32[way] === 0) continue;
          const row = this.#i32[way + 1]! - 1;
          if (doomed(this.#rowsAt + row * this.#rowSize + ROW_HEAD)) this.#unlink(way, row);
        }
      } finally {
        this.#unlock(b, b);
      }
    }
  }

  clear(): void {
    this.sweep(() => true);
  }

  /**
   * After the process tagged `tag` died (run by the primary, before a replacement starts): frees its locks, drops a
   * row it was half-way through writing, and frees rows it had claimed but not linked.
   */
  reap(tag: number): void {
    for (let b = 0; b < this.#buckets; b++) {
      if (this.#i32[this.#locks + b] !== tag) continue;
      for (let k = 0; k < WAYS; k++) {
        const way = this.#index + (b * WAYS + k) * 2;
        if (this.#i32[way] === 0) continue;
        const row = this.#i32[way + 1]! - 1;
        const w = this.#rowWord(row);
        if (this.#i32[w + 1]! & 1) {
          this.#i32[w + 1] = this.#i32[w + 1]! + 1;
          this.#unlink(way, row);
        }
      }
      Atomics.store(this.#i32, this.#locks + b, 0);
    }
    const high = Math.min(this.rows, Atomics.load(this.#i32, this.#head + 2));
    for (let row = 0; row < high; row++) {
      const w = this.#rowWord(row);
      if (this.#i32[w] === tag) {
        if (this.#i32[w + 1]! & 1) this.#i32[w + 1] = this.#i32[w + 1]! + 1;
        Atomics.store(this.#i32, w, 0);
      }
    }
  }

  // -- internals --

  /** Encodes `key`, locks its two buckets and runs `body` with the index way holding it (-1: absent). */
  #locked<T>(key: string, valLen: number, body: (way: number, hash: number, keyLen: number, b1: number, b2: number) => T): T {
    const keyLen = this.#encodeKey(key);
    if (keyLen + valLen > this.rowBytes) {
      throw new OdyError(`shared table row too large: key and value are ${keyLen + valLen} bytes, the limit is ${this.rowBytes} (config additional.table.rowBytes)`, 'E_TABLE_ROW');
    }
    const hash = hashOf(this.#key, keyLen);
    const [b1, b2] = this.#bucketsOf(hash);
    this.#lock(b1, b2);
    try {
      let way = this.#locate(b1, hash, keyLen);
      if (way < 0 && b2 !== b1) way = this.#locate(b2, hash, keyLen);
      return body(way, hash, keyLen, b1, b2);
    } finally {
      this.#unlock(b1, b2);
    }
  }

  #rowWord(row: number): number {
    return (this.#rowsAt + row * this.#rowSize) >> 2;
  }

  #encodeKey(key: string): number {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError(`table key must be a non-empty string or number, got ${JSON.stringify(key)}`);
    const { read, written } = encoder.encodeInto(key, this.#key);
    if (read < key.length || written > this.rowBytes) {
      throw new OdyError(`shared table key too long: over ${this.rowBytes} bytes (config additional.table.rowBytes)`, 'E_TABLE_ROW');
    }
    return written;
  }

  #bucketsOf(hash: number): [number, number] {
    const mask = this.#buckets - 1;
    let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    return [hash & mask, (h >>> 0) & mask];
  }

  #lock(b1: number, b2: number): void {
    const [lo, hi] = b1 <= b2 ? [b1, b2] : [b2, b1];
    this.#spin(lo);
    if (hi !== lo) {
      try {
        this.#spin(hi);
      } catch (error) {
        Atomics.store(this.#i32, this.#locks + lo, 0);
        throw error;
      }
    }
  }

  #spin(b: number): void {
    for (let spins = 0; Atomics.compareExchange(this.#i32, this.#locks + b, 0, this.tag) !== 0; spins++) {
      if (spins > SPIN_LIMIT) {
        throw new OdyError(`shared table: bucket ${b} is held by worker ${Atomics.load(this.#i32, this.#locks + b) - 1}, which stopped before releasing it`, 'E_TABLE_LOCK');
      }
    }
  }

  #unlock(b1: number, b2: number): void {
    Atomics.store(this.#i32, this.#locks + b1, 0);
    if (b2 !== b1) Atomics.store(this.#i32, this.#locks + b2, 0);
  }

  /** The index way holding the key in `this.#key`, or -1 (under the bucket's lock). */
  #locate(bucket: number, hash: number, keyLen: number): number {
    for (let k = 0; k < WAYS; k++) {
      const way = this.#index + (bucket * WAYS + k) * 2;
      if (this.#i32[way] === hash && this.#sameKey(this.#i32[way + 1]! - 1, keyLen)) return way;
    }
    return -1;
  }

  /** An empty way in the emptier of the two buckets, or -1. */
  #freeWay(b1: number, b2: number): number {
    let best = -1;
    let bestUsed = WAYS;
    for (const b of b1 === b2 ? [b1] : [b1, b2]) {
      let used = 0;
      let empty = -1;
      for (let k = 0; k < WAYS; k++) {
        const way = this.#index + (b * WAYS + k) * 2;
        if (this.#i32[way] !== 0) used++;
        else if (empty < 0) empty = way;
      }
      if (empty >= 0 && used < bestUsed) [best, bestUsed] = [empty, used];
    }
    return best;
  }

  #claimRow(): number {
    const row = claimSlot(this.#i32, this.#head + 1, this.#head + 2, this.rows, (n) => this.#rowWord(n), this.tag);
    if (row < 0) throw full(this.rows, 'every row is in use');
    return row;
  }

  #unlink(way: number, row: number): void {
    Atomics.store(this.#i32, way, 0);
    this.#i32[way + 1] = 0;
    const w = this.#rowWord(row);
    Atomics.add(this.#i32, w + 1, 1);
    this.#i32[w + 2] = 0;
    Atomics.store(this.#i32, w, 0);
    Atomics.add(this.#i32, w + 1, 1);
    Atomics.sub(this.#i32, this.#head, 1);
  }

  #sameKey(row: number, keyLen: number): boolean {
    const w = this.#rowWord(row);
    if (this.#i32[w + 2] !== keyLen) return false;
    const at = this.#rowsAt + row * this.#rowSize + ROW_HEAD + this.#i32[w + 3]!;
    for (let i = 0; i < keyLen; i++) if (this.#bytes[at + i] !== this.#key[i]) return false;
    return true;
  }

  /** Lock-free lookup in one bucket: a copy of the value, read between two equal even versions. */
  #find(bucket: number, hash: number, keyLen: number): Uint8Array | undefined {
    for (let k = 0; k < WAYS; k++) {
      const way = this.#index + (bucket * WAYS + k) * 2;
      if (Atomics.load(this.#i32, way) !== hash) continue;
      const row = this.#i32[way + 1]! - 1;
      if (row < 0) continue;
      const w = this.#rowWord(row);
      for (let spins = 0; ; spins++) {
        const before = Atomics.load(this.#i32, w + 1);
        if (before & 1) {
          if (spins > SPIN_LIMIT) throw new OdyError('shared table: a row stays half-written (its writer stopped)', 'E_TABLE_LOCK');
          continue;
        }
        const same = this.#i32[w] === LINKED && this.#sameKey(row, keyLen);
        const at = this.#rowsAt + row * this.#rowSize + ROW_HEAD;
        const value = same ? this.#bytes.slice(at, at + this.#i32[w + 3]!) : undefined;
        if (Atomics.load(this.#i32, w + 1) !== before) continue;
        if (value) return value;
        break;
      }
    }
    return undefined;
  }

  #readRow(row: number): [string, Uint8Array] | undefined {
    const w = this.#rowWord(row);
    for (let spins = 0; ; spins++) {
      const before = Atomics.load(this.#i32, w + 1);
      if (before & 1) {
        if (spins > SPIN_LIMIT) return undefined;
        continue;
      }
      if (this.#i32[w] !== LINKED) return undefined;
      const at = this.#rowsAt + row * this.#rowSize + ROW_HEAD;
      const valLen = this.#i32[w + 3]!;
      const keyLen = this.#i32[w + 2]!;
      const value = this.#bytes.slice(at, at + valLen);
      const key = decoder.decode(this.#bytes.subarray(at + valLen, at + valLen + keyLen));
      if (Atomics.load(this.#i32, w + 1) === before) return [key, value];
    }
  }
}

/** Buckets enough for the index to stay at most half full: a key's two buckets then practically never are. */
function bucketsFor(rows: number): number {
  let buckets = 2; // even, so the rows after the locks and the index stay 8-byte aligned
  while (buckets * WAYS < rows * 2) buckets *= 2;
  return buckets;
}

function rowSizeFor(rowBytes: number): number {
  return ROW_HEAD + Math.ceil(rowBytes / 8) * 8;
}

/** Never 0 (0 marks an empty way). */
function hashOf(key: Uint8Array, len: number): number {
  return Bun.hash.murmur32v3(key.subarray(0, len)) | 0 || 1;
}

function full(rows: number, why: string): OdyError {
  return new OdyError(`shared table is full (${rows} rows, config additional.table.rows): ${why}`, 'E_TABLE_FULL');
}
