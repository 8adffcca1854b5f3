// FdsTable: the connection table of the PHP package (Swoole\Table), Map-backed so it grows without a cap.

export type Row = Record<string, unknown>;

export class FdsTable<R extends Row = Row> implements Iterable<[string, R]> {
  readonly #rows = new Map<string, R>();
  /** Told of every local set/del, so a cluster can mirror the table to the other workers. */
  onChange: ((key: string, row: R | undefined) => void) | undefined;

  /** Inserts or replaces the row stored under `key` (fds are accepted as numbers). */
  set(key: string | number, row: R): this {
    this.#rows.set(String(key), row);
    this.onChange?.(String(key), row);
    return this;
  }

  /** Applies a change made by another worker (does not notify onChange). */
  applyRemote(key: string, row: R | undefined): void {
    if (row === undefined) this.#rows.delete(key);
    else this.#rows.set(key, row);
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
    const deleted = this.#rows.delete(String(key));
    if (deleted) this.onChange?.(String(key), undefined);
    return deleted;
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
