// Where database apps are read: PostgreSQL through Bun.sql, SQLite through bun:sqlite. Rows only; the manager
// (manager.ts) turns them into apps, caches them and decides what a failure means.
import { Database } from 'bun:sqlite';
import { SQL } from 'bun';
import type { AppsDatabaseConfig } from '../config/schema';
import { COLUMN_LIST } from './layout';

export type Row = Record<string, unknown>;

export interface AppSource {
  /** The row with this key (field 'key') or id (field 'id'), or null. */
  one(field: 'key' | 'id', value: string): Promise<Row | null>;
  /** The rows of these ids (missing ones are simply absent). */
  many(ids: string[]): Promise<Row[]>;
  /** Throws when the table cannot be read. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Ids per refresh query: well under every driver's parameter limit. */
const CHUNK = 500;

export function openSource(config: Required<AppsDatabaseConfig>): AppSource {
  return config.driver === 'postgres' ? postgres(config) : sqlite(config);
}

function postgres(config: Required<AppsDatabaseConfig>): AppSource {
  // A small pool: lookups are rare (cached) and short. A dead server fails fast instead of queueing.
  const sql = new SQL(config.url, { max: 4, idleTimeout: 30, connectionTimeout: Math.max(1, Math.ceil(config.lookupTimeout / 1000)) });
  const select = `SELECT ${COLUMN_LIST} FROM ${config.table}`;
  return {
    async one(field, value) {
      const rows = (await sql.unsafe(`${select} WHERE "${field}" = $1 LIMIT 1`, [value])) as Row[];
      return rows[0] ?? null;
    },
    async many(ids) {
      const out: Row[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        out.push(...((await sql.unsafe(`${select} WHERE "id" IN (${part.map((_, j) => `$${j + 1}`).join(', ')})`, part)) as Row[]));
      }
      return out;
    },
    async ping() {
      await sql.unsafe(`${select} LIMIT 1`);
    },
    close: () => sql.close({ timeout: 0 }),
  };
}

function sqlite(config: Required<AppsDatabaseConfig>): AppSource {
  let db: Database | undefined;
  // Opened on first use and again after a failure: the file may be replaced or appear later.
  const open = () => {
    if (db) return db;
    db = new Database(config.path, { readonly: true, create: false });
    db.run(`PRAGMA busy_timeout = ${Math.min(config.lookupTimeout, 5000)}`); // a writer holding the lock briefly is waited for
    return db;
  };
  const run = <T>(work: (d: Database) => T): T => {
    try {
      return work(open());
    } catch (error) {
      db?.close();
      db = undefined;
      throw error;
    }
  };
  const select = `SELECT ${COLUMN_LIST} FROM ${config.table}`;
  return {
    one: async (field, value) => run((d) => (d.query(`${select} WHERE "${field}" = ?1 LIMIT 1`).get(value) as Row | null) ?? null),
    many: async (ids) =>
      run((d) => {
        const out: Row[] = [];
        for (let i = 0; i < ids.length; i += CHUNK) {
          const part = ids.slice(i, i + CHUNK);
          out.push(...(d.query(`${select} WHERE "id" IN (${part.map(() => '?').join(', ')})`).all(...part) as Row[]));
        }
        return out;
      }),
    ping: async () => void run((d) => d.query(`${select} LIMIT 1`).all()),
    close: async () => {
      db?.close();
      db = undefined;
    },
  };
}
