// One server's shared memory: the machine's connections, FdsTable's rows and the per-IP counters, in one file that
// the primary makes at start and every worker maps (a lone process maps an unlinked one). Each part owns its layout.
//
//   header   64 B        'ODY1', connection slots, rows, rowBytes, counter rows
//   slots    ConnectionSlots.bytesFor(connections)   only with workers (one process answers from its own sockets),
//                                                    and not with connections: 0
//   rows     SharedMap.bytesFor(rows, rowBytes)       FdsTable
//   counters SharedMap.bytesFor(connections, 64 + 32) per-IP connection counts and rateLimit() buckets
import type { TableConfig } from '../config/schema';
import { OdyError } from '../errors';
import { ConnectionSlots } from './connection-slots';
import { attachRegion, createRegion, privateRegion, type Region, removeRegion } from './region';
import { SharedCounters } from './shared-counters';
import { SharedMap } from './shared-map';

/** What a worker needs to map the primary's file. */
export interface MachineSpec {
  path: string;
  table: TableConfig;
}

const MAGIC = 0x3159444f; // 'ODY1'
const HEADER = 64;
/** Counter keys: an IPv6 address with a rateLimit() name in front. */
const COUNTER_ROW = 64 + 32;
/** The primary's tag: it only reaps, and must not look like a worker (worker index + 1) or a free lock (0). */
const PRIMARY_TAG = 1000;

export type { TableConfig };

export class Machine {
  /** The machine's connections: null in a lone process, whose own sockets are the machine's. */
  readonly connections: ConnectionSlots | null;
  readonly rows: SharedMap;
  readonly counters: SharedCounters;

  private constructor(
    readonly region: Region,
    readonly table: TableConfig,
    shared: boolean,
    tag: number,
  ) {
    const layout = layoutOf(table, shared);
    this.connections = layout.slotted ? new ConnectionSlots(region, layout.slots, table.connections, tag) : null;
    this.rows = new SharedMap(region, layout.rows, { rows: table.rows, rowBytes: table.rowBytes }, tag);
    this.counters = new SharedCounters(new SharedMap(region, layout.counters, counterShape(table), tag));
  }

  /** A lone process's tables, in its own memory. */
  static alone(table: TableConfig): Machine {
    return new Machine(privateRegion(layoutOf(table, false).size), table, false, 1);
  }

  /**
   * The primary's: a fresh file each start in /dev/shm, or in `fallbackDir` (the project's storage folder) where there
   * is no writable /dev/shm. A stale file from a crashed run is removed, never reused.
   */
  static create(table: TableConfig, fallbackDir: string): Machine {
    const layout = layoutOf(table, true);
    const region = createRegion(layout.size, fallbackDir);
    const head = region.i32;
    [head[1], head[2], head[3], head[4]] = [table.connections, table.rows, table.rowBytes, COUNTER_ROW];
    Atomics.store(head, 0, MAGIC);
    return new Machine(region, table, true, PRIMARY_TAG);
  }

  /** A worker's view of the primary's file. */
  static attach(spec: MachineSpec, worker: number): Machine {
    const region = attachRegion(spec.path);
    const head = region.i32;
    const { connections, rows, rowBytes } = spec.table;
    if (head[0] !== MAGIC || head[1] !== connections || head[2] !== rows || head[3] !== rowBytes || region.bytes.byteLength < layoutOf(spec.table, true).size) {
      throw new OdyError(`${spec.path} is not this server's connection table`, 'E_TABLE');
    }
    return new Machine(region, spec.table, true, worker + 1);
  }

  static readonly #bound = new WeakMap<object, Machine>();
  /** The machine behind a server object (rateLimit() finds its shared buckets through the server it is given). */
  static of(server: object): Machine | undefined {
    return Machine.#bound.get(server);
  }
  static bind(server: object, machine: Machine): void {
    Machine.#bound.set(server, machine);
  }

  get spec(): MachineSpec {
    return { path: this.region.path, table: this.table };
  }

  /**
   * The worker with index `worker` died without closing its connections (kill -9, crash): they leave every table —
   * their slots, the FdsTable rows keyed by their fds, their per-IP counts — and its half-done writes are undone.
   * The primary runs this before the replacement starts. Returns how many connections were dropped.
   */
  reap(worker: number): number {
    const tag = worker + 1;
    this.rows.reap(tag);
    this.counters.map.reap(tag);
    const slots = this.connections;
    if (!slots) return 0;
    slots.setNode(worker, 0);
    const gone = slots.reap(tag);
    for (const { fd, ipKey } of gone) {
      this.rows.delete(String(fd));
      if (ipKey) this.counters.release(ipKey);
    }
    return gone.length;
  }

  /** Removes the file (the primary, at stop); mapped views stay valid until the processes exit. */
  remove(): void {
    removeRegion(this.region);
  }
}

/** Per-IP counts need a row per client address at most: as many as connections (at least 16 Ki rows). */
function counterShape(table: TableConfig): { rows: number; rowBytes: number } {
  return { rows: Math.max(table.connections, 16_384), rowBytes: COUNTER_ROW };
}

/** connections: 0 turns the shared connection slots off (each worker then answers for its own connections). */
function layoutOf(table: TableConfig, shared: boolean): { slotted: boolean; slots: number; rows: number; counters: number; size: number } {
  const slotted = shared && table.connections > 0;
  const slots = HEADER;
  const rows = slots + (slotted ? ConnectionSlots.bytesFor(table.connections) : 0);
  const counters = rows + SharedMap.bytesFor({ rows: table.rows, rowBytes: table.rowBytes });
  const size = counters + SharedMap.bytesFor(counterShape(table));
  return { slotted, slots, rows, counters, size };
}
