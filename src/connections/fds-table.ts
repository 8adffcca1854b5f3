// FdsTable: the connection table of the PHP package (Swoole\Table). Rows live in shared memory: under several workers
// every worker reads, counts, iterates and deletes the same rows. Sized at start (additional.table), never a silent drop.
import { OdyError } from '../errors';
import { privateRegion } from './region';
import { type MapShape, SharedMap } from './shared-map';

export type Row = Record<string, unknown>;

/** What a table made with `new FdsTable()` holds: the server's own follows additional.table (the same by default). */
export const DEFAULT_ROWS: MapShape = { rows: 131_072, rowBytes: 128 };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FdsTable<R extends Row = Row> implements Iterable<[string, R]> {
  readonly #map: SharedMap;

  /** A table of its own (`shape`, default DEFAULT_ROWS), or one over the machine's shared map. */
  constructor(shape: Partial<MapShape> | SharedMap = {}) {
    if (shape instanceof SharedMap) {
      this.#map = shape;
    } else {
      const full = { ...DEFAULT_ROWS, ...shape };
      this.#map = new SharedMap(privateRegion(SharedMap.bytesFor(full)), 0, full, 1);
    }
  }

  /** Inserts or replaces the row stored under `key` (fds are accepted as numbers). Rows are stored as JSON. */
  set(key: string | number, row: R): this {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new TypeError(`FdsTable.set(${JSON.stringify(key)}): a row is an object of fields`);
    let json: string;
    try {
      json = JSON.stringify(row);
    } catch (error) {
      throw new OdyError(`FdsTable.set(${JSON.stringify(key)}): the row is not JSON-safe (${(error as Error).message})`, 'E_TABLE_ROW');
    }
    const bytes = encoder.encode(json);
    try {
      this.#map.set(String(key), bytes);
    } catch (error) {
      if (error instanceof OdyError) throw new OdyError(`FdsTable.set(${JSON.stringify(String(key))}): ${error.message}`, error.code);
      throw error;
    }
    return this;
  }

  /** A copy of the whole row, or one field of it; undefined when the key (or field) is absent. */
  get(key: string | number): R | undefined;
  get<F extends keyof R>(key: string | number, field: F): R[F] | undefined;
  get(key: string | number, field?: keyof R): unknown {
    const bytes = this.#map.get(String(key));
    if (!bytes) return undefined;
    const row = JSON.parse(decoder.decode(bytes)) as R;
    return field === undefined ? row : row[field];
  }

  /** Removes a row; true when it existed. */
  del(key: string | number): boolean {
    return this.#map.delete(String(key));
  }

  exists(key: string | number): boolean {
    return this.#map.has(String(key));
  }

  /** Rows in the table (every worker's). */
  count(): number {
    return this.#map.count();
  }

  /** The most rows it holds (additional.table.rows). */
  get capacity(): number {
    return this.#map.rows;
  }

  clear(): void {
    this.#map.clear();
  }

  *[Symbol.iterator](): IterableIterator<[string, R]> {
    for (const [key, bytes] of this.#map.entries()) yield [key, JSON.parse(decoder.decode(bytes)) as R];
  }

  *keys(): IterableIterator<string> {
    for (const [key] of this.#map.entries()) yield key;
  }

  *values(): IterableIterator<R> {
    for (const [, row] of this) yield row;
  }
}
