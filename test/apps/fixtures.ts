// Apps tables for the tests: a real PostgreSQL (helpers/postgres.ts) or a real SQLite file, created with the SQL the
// README documents (createTableSql), and a few writes as an operator's admin tool would make them.
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQL } from 'bun';
import PusherSdk from 'pusher';
import { createTableSql } from '../../src/apps/layout';
import type { AppsDatabaseConfig } from '../../src/config/schema';
import { connect, type TestClient } from '../helpers/client';
import { startPostgres, type TestPostgres } from '../helpers/postgres';

export type Driver = 'postgres' | 'sqlite';

export interface AppsTable extends AsyncDisposable {
  driver: Driver;
  /** What goes into the config's `apps` (cacheTtl 1 s unless told). */
  source(extra?: Partial<AppsDatabaseConfig>): AppsDatabaseConfig;
  /** WEBSOCKET_APPS_URL for it. */
  envUrl: string;
  insert(row: Record<string, unknown>): Promise<void>;
  update(id: string, column: string, value: unknown): Promise<void>;
  pg?: TestPostgres;
}

export async function appsTable(driver: Driver): Promise<AppsTable> {
  if (driver === 'postgres') {
    const pg = await startPostgres();
    const sql = new SQL(pg.url, { max: 1 });
    await sql.unsafe(createTableSql('postgres'));
    return {
      driver,
      pg,
      envUrl: pg.url,
      source: (extra) => ({ driver, url: pg.url, cacheTtl: 1, ...extra }),
      async insert(row) {
        const cols = Object.keys(row);
        await sql.unsafe(`INSERT INTO ody_apps (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
      },
      async update(id, column, value) {
        await sql.unsafe(`UPDATE ody_apps SET "${column}" = $1 WHERE id = $2`, [value, id]);
      },
      async [Symbol.asyncDispose]() {
        await sql.close({ timeout: 0 });
        await pg[Symbol.asyncDispose]();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ody-apps-'));
  const path = join(dir, 'apps.sqlite');
  const db = new Database(path, { create: true });
  db.run('PRAGMA journal_mode = WAL');
  db.run(createTableSql('sqlite'));
  const value = (v: unknown) => (typeof v === 'boolean' ? Number(v) : v) as never;
  return {
    driver,
    envUrl: `sqlite:${path}`,
    source: (extra) => ({ driver, path, cacheTtl: 1, ...extra }),
    async insert(row) {
      const cols = Object.keys(row);
      db.query(`INSERT INTO ody_apps (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...Object.values(row).map(value));
    },
    async update(id, column, v) {
      db.query(`UPDATE ody_apps SET "${column}" = ? WHERE id = ?`).run(value(v), id);
    },
    async [Symbol.asyncDispose]() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw Pusher socket of `key`: resolves with the first frame's event (connection_established or pusher:error). */
export async function pusherSocket(base: string, key: string, headers?: Record<string, string>): Promise<{ client: TestClient; first: { event: string; data: any } }> {
  const client = connect(`${base}/app/${key}?protocol=7`, { headers });
  const first = JSON.parse((await client.next(5000)) as string);
  if (typeof first.data === 'string') first.data = JSON.parse(first.data);
  return { client, first };
}

/** The pusher server SDK for an app on a test server. */
export function sdk(http: string, app: { id: string; key: string; secret: string }): PusherSdk {
  const u = new URL(http);
  return new PusherSdk({ appId: app.id, key: app.key, secret: app.secret, host: u.hostname, port: u.port, useTLS: false });
}

/** Polls until `check` passes (the TTL is seconds, so seconds are allowed); fails with `what`. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
