// `ody apps init-db`: creates the apps table (if missing) in the database the config names, with the documented layout.
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SQL } from 'bun';
import type { AppsDatabaseConfig } from '../config/schema';
import { OdyError } from '../errors';
import { describeError } from '../log/logger';
import { hideAuth } from './config';
import { createTableSql } from './layout';

/** Runs CREATE TABLE IF NOT EXISTS; returns where, for the CLI's one line. */
export async function initAppsTable(db: Required<AppsDatabaseConfig>): Promise<string> {
  const where = db.driver === 'postgres' ? String(hideAuth(db.url)) : db.path;
  try {
    if (db.driver === 'postgres') {
      const sql = new SQL(db.url, { max: 1, connectionTimeout: Math.max(1, Math.ceil(db.lookupTimeout / 1000)) });
      try {
        await sql.unsafe(createTableSql('postgres', db.table));
      } finally {
        await sql.close({ timeout: 0 });
      }
    } else {
      mkdirSync(dirname(db.path), { recursive: true });
      const file = new Database(db.path, { create: true });
      try {
        file.run(createTableSql('sqlite', db.table));
      } finally {
        file.close();
      }
    }
  } catch (error) {
    throw new OdyError(`apps init-db: cannot create table ${db.table} in ${where}: ${String(hideAuth(describeError(error)))}`, 'E_APPS');
  }
  return `${db.table} in ${where}`;
}
