// Rule: `ody apps init-db` creates the documented apps table in the database WEBSOCKET_APPS_URL (or `apps`) names, and
// the compiled binary then serves the apps an operator puts in it.
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { SQL } from 'bun';
import { describe, expect, test } from 'bun:test';
import { bareEnv, project, runOdy, startOdy } from '../helpers/binary';
import { postgresMissing, startPostgres } from '../helpers/postgres';
import { pusherSocket } from './fixtures';

test('init-db makes the SQLite file and table; the binary then serves an app inserted into it', async () => {
  const dir = project({ '.env': 'WEBSOCKET_APPS_URL=sqlite:storage/apps.sqlite\nWEBSOCKET_PORT=0\nWEBSOCKET_WORKER_COUNT=1\n' });
  const init = await runOdy(['apps', 'init-db'], dir);
  expect(init).toEqual({ code: 0, stdout: `ody: apps table ready: ody_apps in ${join(dir, 'storage/apps.sqlite')}\n`, stderr: '' });
  const db = new Database(join(dir, 'storage/apps.sqlite'));
  db.run("INSERT INTO ody_apps (id, key, secret) VALUES ('shop', 'shop-key', 'shop-secret')");
  db.close();
  await using ody = await startOdy(['websocket', 'start'], dir);
  expect((await pusherSocket(ody.url, 'shop-key')).first.event).toBe('pusher:connection_established');
}, 30_000);

test('init-db --print shows the CREATE TABLE and runs nothing', async () => {
  const { code, stdout } = await runOdy(['apps', 'init-db', '--print', 'postgres'], project({}));
  expect(code).toBe(0);
  expect(stdout).toStartWith('CREATE TABLE IF NOT EXISTS ody_apps (\n  "id" text PRIMARY KEY,\n  "key" text NOT NULL UNIQUE,\n  "secret" text NOT NULL,\n  "enabled" boolean NOT NULL DEFAULT true,');
}, 30_000);

describe.skipIf(postgresMissing())('PostgreSQL', () => {
  test('init-db creates the table in PostgreSQL (twice is fine)', async () => {
    await using pg = await startPostgres();
    const dir = project({ '.env': `WEBSOCKET_APPS_URL=${pg.url}\n` });
    for (let i = 0; i < 2; i++) expect((await runOdy(['apps', 'init-db'], dir, bareEnv())).code).toBe(0);
    const sql = new SQL(pg.url, { max: 1 });
    const columns = (await sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'ody_apps' ORDER BY ordinal_position`) as { column_name: string }[];
    await sql.close();
    expect(columns.map((c) => c.column_name).slice(0, 5)).toEqual(['id', 'key', 'secret', 'enabled', 'max_connections']);
  }, 30_000);
});
