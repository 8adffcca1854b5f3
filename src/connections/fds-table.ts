// FdsTable: the connection table of the PHP package (Swoole\Table), Map-backed so it grows without a cap.
// It belongs to one node (process): each node keeps the rows of its own connections, nothing is mirrored.

export type Row = Record<string, unknown>;

export class FdsTable<R extends Row = Row> implements Iterable<[string, R]> {
  readonly #rows = new Map<string, R>();

  /** Inserts or replaces the row stored under `key` (fds are accepted as numbers). */
  set(key: string | number, row: R): this {
    this.#rows.set(String(key), row);
    return this;
  }

  /** The whole row, or one field of it; undefined when the key (or field) is absent. */
  get(key: string | number): R | undefined;
  get<F extends keyof R>(key: string | number, field: F): R[F] | undefined;
  get(key: string | number, field?: keyof R): unknown {
    const row = this.#rows.get(String(key));
    return field === undefined ? row : row?.[field];
  }

  /** Removes a row; true when it existed. */
  del(key: string | number): boolean {
    return this.#rows.delete(String(key));
  }

  exists(key: string | number): boolean {
    return this.#rows.has(String(key));
  }

  count(): number {
    return this.#rows.size;
  }

  clear(): void {
    this.#rows.clear();
  }

  [Symbol.iterator](): IterableIterator<[string, R]> {
    return this.#rows.entries();
  }

  keys(): IterableIterator<string> {
    return this.#rows.keys();
  }

  values(): IterableIterator<R> {
    return this.#rows.values();
  }
}
