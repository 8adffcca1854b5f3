// The machine's connections in shared memory: every worker of one server writes its own connections here and answers
// exist / isEstablished / getClientInfo / connections / count for all of them, synchronously. The only code that
// knows this region's offsets.
//
//   header  16 x i32     [0] open  [1] handshaking  [2] slot cursor  [3] slots in use so far  [4] worker indexes used
//   nodes   256 x i32    the adapter node id of each worker index (0 = none): which fds are this machine's
//   slots   S x 128 B    word 0  state: 0 free, else owner tag (worker index + 1) x 4 + phase (1 handshake, 2 open)
//                        word 1  version: odd while the owner writes (readers retry: a seqlock)
//                        word 2  claims: times the slot was claimed (its fd's generation + 1)
//                        word 3  flags: bit 0 the url was cut to fit
//                        f64  2  fd             f64 3  connect time (epoch ms)
//                        word 8..11  byte lengths of per-IP key, address, protocol, url
//                        bytes 48..127  per-IP key | address | protocol | url (cut to what is left)
//
// An fd names its slot: fd = seq * NODE_SPACE + node with seq = generation * S + slot + 1, so any worker finds a
// connection's slot from its fd alone and checks the fd stored there. Slots are claimed as claim.ts says (the table
// stays as small as its busiest moment); a slot serves 2^33 / S connections before its fds repeat (65,535 with the
// default S).
import { NODE_SPACE } from '../adapters/cluster-adapter';
import { OdyError } from '../errors';
import { claimSlot } from './claim';
import type { Region } from './region';

const HEADER_WORDS = 16;
const MAX_WORKERS = 256;
const SLOT = 128;
const TEXT_AT = 48;
const TEXT = SLOT - TEXT_AT;
const HANDSHAKE = 1;
const OPEN = 2;
/** seq must stay below 2^33 so that an fd (seq * 2^20 + node) stays an exact integer. */
const SEQ_SPACE = 2 ** 33;


/** What any worker can read about any connection of the machine. */
export interface SlotInfo {
  fd: number;
  remoteAddress: string;
  protocol: string;
  url: string;
  connectTime: number;
  /** Index of the worker that owns it. */
  worker: number;
}

export class ConnectionSlots {
  readonly slots: number;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  /** The region as a Buffer: strings are written and read in place, with no view made per call. */
  readonly #buf: Buffer;
  readonly #head: number;
  readonly #nodes: number;
  readonly #slotsAt: number;
  readonly #generations: number;

  static bytesFor(slots: number): number {
    return (HEADER_WORDS + MAX_WORKERS) * 4 + slots * SLOT;
  }

  /** `slots` must be a power of two. @param tag this process's tag (worker index + 1; 0 for the primary, which only reaps). */
  constructor(
    region: Region,
    base: number,
    slots: number,
    readonly tag: number,
  ) {
    if (slots & (slots - 1) || slots < 2) throw new RangeError(`connection slots must be a power of two, got ${slots}`);
    this.slots = slots;
    this.#i32 = region.i32;
    this.#f64 = region.f64;
    this.#buf = Buffer.from(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
    this.#head = base >> 2;
    this.#nodes = this.#head + HEADER_WORDS;
    this.#slotsAt = base + (HEADER_WORDS + MAX_WORKERS) * 4;
    this.#generations = SEQ_SPACE / slots - 1;
  }

  /** Says which adapter node a worker index is (0 once it died), so fds it hands out count as this machine's. */
  setNode(worker: number, node: number): void {
    if (worker >= MAX_WORKERS) throw new RangeError(`at most ${MAX_WORKERS} workers share a connection table`);
    for (let high = Atomics.load(this.#i32, this.#head + 4); high <= worker; high = Atomics.load(this.#i32, this.#head + 4)) {
      if (Atomics.compareExchange(this.#i32, this.#head + 4, high, worker + 1) === high) break;
    }
    Atomics.store(this.#i32, this.#nodes + worker, node);
  }

  /** Whether `fd` was handed out by a worker of this machine that is still running. */
  ours(fd: number): boolean {
    const node = fd % NODE_SPACE;
    const workers = Atomics.load(this.#i32, this.#head + 4);
    for (let w = 0; w < workers; w++) if (Atomics.load(this.#i32, this.#nodes + w) === node) return true;
    return false;
  }

  /** A free slot for a new handshake, named by the fd `fdOf(seq)` gives; throws when every slot is in use. */
  claim(fdOf: (seq: number) => number): number {
    const slot = this.#claimSlot();
    const w = this.#word(slot);
    const claims = this.#i32[w + 2]! >= this.#generations ? 1 : this.#i32[w + 2]! + 1;
    const fd = fdOf((claims - 1) * this.slots + slot + 1);
    Atomics.add(this.#i32, w + 1, 1);
    this.#i32[w + 2] = claims;
    this.#i32[w + 3] = 0;
    this.#f64[(w >> 1) + 2] = fd;
    this.#f64[(w >> 1) + 3] = 0;
    this.#i32[w + 8] = this.#i32[w + 9] = this.#i32[w + 10] = this.#i32[w + 11] = 0;
    Atomics.add(this.#i32, w + 1, 1);
    Atomics.add(this.#i32, this.#head + 1, 1);
    return fd;
  }

  /** The handshake of `fd` (this worker's) became an open WebSocket. */
  open(fd: number, info: { remoteAddress: string; protocol: string; url: string; connectTime: number }): void {
    const w = this.#mine(fd);
    if (w < 0) return;
    Atomics.add(this.#i32, w + 1, 1);
    this.#f64[(w >> 1) + 3] = info.connectTime;
    let at = this.#textAt(w) + this.#i32[w + 8]!; // after the per-IP key
    const end = this.#textAt(w) + TEXT;
    at += this.#i32[w + 9] = this.#buf.write(info.remoteAddress, at, end - at);
    at += this.#i32[w + 10] = this.#buf.write(info.protocol, at, end - at);
    const url = (this.#i32[w + 11] = this.#buf.write(info.url, at, end - at));
    this.#i32[w + 3] = url === end - at && Buffer.byteLength(info.url) > url ? 1 : 0;
    Atomics.store(this.#i32, w, this.tag * 4 + OPEN);
    Atomics.add(this.#i32, w + 1, 1);
    Atomics.sub(this.#i32, this.#head + 1, 1);
    Atomics.add(this.#i32, this.#head, 1);
  }

  /** Remembers the per-IP key a handshake was counted under (before it opens), so a reaper can give the count back. */
  countedUnder(fd: number, key: string): void {
    const w = this.#mine(fd);
    if (w < 0 || Buffer.byteLength(key) > TEXT) return;
    Atomics.add(this.#i32, w + 1, 1);
    this.#i32[w + 8] = this.#buf.write(key, this.#textAt(w), TEXT);
    Atomics.add(this.#i32, w + 1, 1);
  }

  /** The connection `fd` (this worker's) ended: its slot is free again. */
  release(fd: number): void {
    const w = this.#mine(fd);
    if (w >= 0) this.#free(w);
  }

  /** 0 unknown (or closed), 1 handshake in progress, 2 open — for any fd of the machine. */
  phase(fd: number): number {
    const w = this.#word(this.#slotOf(fd));
    for (;;) {
      const before = Atomics.load(this.#i32, w + 1);
      if (before & 1) continue;
      const state = this.#i32[w]!;
      const same = this.#f64[(w >> 1) + 2] === fd;
      if (Atomics.load(this.#i32, w + 1) === before) return same ? state & 3 : 0;
    }
  }

  info(fd: number): SlotInfo | null {
    const w = this.#word(this.#slotOf(fd));
    for (;;) {
      const before = Atomics.load(this.#i32, w + 1);
      if (before & 1) continue;
      const info = this.#read(w);
      if (Atomics.load(this.#i32, w + 1) === before) return info && info.fd === fd ? info : null;
    }
  }

  /** Open connections of the whole machine. */
  count(): number {
    return Atomics.load(this.#i32, this.#head);
  }

  /** Handshakes in progress on the whole machine. */
  handshaking(): number {
    return Atomics.load(this.#i32, this.#head + 1);
  }

  /** fds of every open connection of the machine. */
  *fds(): IterableIterator<number> {
    const high = Math.min(this.slots, Atomics.load(this.#i32, this.#head + 3));
    for (let slot = 0; slot < high; slot++) {
      const w = this.#word(slot);
      if ((this.#i32[w]! & 3) !== OPEN) continue;
      const before = Atomics.load(this.#i32, w + 1);
      const fd = this.#f64[(w >> 1) + 2]!;
      if ((this.#i32[w]! & 3) === OPEN && !(before & 1) && Atomics.load(this.#i32, w + 1) === before) yield fd;
    }
  }

  /**
   * After the worker with `tag` died (run by the primary before its replacement starts): frees its slots and says
   * which connections they were, with the per-IP key each was counted under.
   */
  reap(tag: number): { fd: number; ipKey: string }[] {
    const gone: { fd: number; ipKey: string }[] = [];
    const high = Math.min(this.slots, Atomics.load(this.#i32, this.#head + 3));
    for (let slot = 0; slot < high; slot++) {
      const w = this.#word(slot);
      if (this.#i32[w]! >> 2 !== tag) continue;
      if (this.#i32[w + 1]! & 1) this.#i32[w + 1] = this.#i32[w + 1]! + 1; // it died mid-write
      const at = this.#textAt(w);
      gone.push({ fd: this.#f64[(w >> 1) + 2]!, ipKey: this.#buf.toString('utf8', at, at + this.#i32[w + 8]!) });
      this.#free(w);
    }
    return gone;
  }

  // -- internals --

  #claimSlot(): number {
    const slot = claimSlot(this.#i32, this.#head + 2, this.#head + 3, this.slots, (n) => this.#word(n), this.tag * 4 + HANDSHAKE);
    if (slot < 0) throw new OdyError(`the machine's connection table is full (${this.slots} connections, config additional.table.connections)`, 'E_TABLE_FULL');
    return slot;
  }

  #slotOf(fd: number): number {
    return (Math.floor(fd / NODE_SPACE) - 1) & (this.slots - 1);
  }

  #word(slot: number): number {
    return (this.#slotsAt + slot * SLOT) >> 2;
  }

  #textAt(w: number): number {
    return w * 4 + TEXT_AT;
  }

  /** The word index of fd's slot when this process holds it, else -1. */
  #mine(fd: number): number {
    const w = this.#word(this.#slotOf(fd));
    return this.#i32[w]! >> 2 === this.tag && this.#f64[(w >> 1) + 2] === fd ? w : -1;
  }

  #free(w: number): void {
    const phase = this.#i32[w]! & 3;
    Atomics.add(this.#i32, w + 1, 1);
    Atomics.store(this.#i32, w, 0);
    Atomics.add(this.#i32, w + 1, 1);
    Atomics.sub(this.#i32, this.#head + (phase === OPEN ? 0 : 1), 1);
  }

  #read(w: number): SlotInfo | null {
    const state = this.#i32[w]!;
    if ((state & 3) !== OPEN) return null;
    let at = this.#textAt(w) + this.#i32[w + 8]!;
    const text = (word: number) => this.#buf.toString('utf8', at, (at += this.#i32[w + word]!));
    const remoteAddress = text(9);
    const protocol = text(10);
    const url = text(11);
    return { fd: this.#f64[(w >> 1) + 2]!, remoteAddress, protocol, url, connectTime: this.#f64[(w >> 1) + 3]!, worker: (state >> 2) - 1 };
  }
}
