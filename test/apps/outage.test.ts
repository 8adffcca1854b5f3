// Rule: the apps database is needed at start (unreadable -> one clear line, exit 1), not for every lookup after:
// while it is down, cached apps keep serving, an unknown key gets 4001 after a short lookup (not a hang), /health
// says degraded, and once it is back everything recovers by itself.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { project, runOdy } from '../helpers/binary';
import { postgresMissing } from '../helpers/postgres';
import { captureLogs, serve } from '../helpers/server';
import { type AppsTable, appsTable, eventually, pusherSocket } from './fixtures';

function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

test('a PostgreSQL that does not answer at start: one line naming it (no password), exit 1', async () => {
  const url = `postgres://ody:hunter2@127.0.0.1:${freePort()}/apps`;
  const dir = project({ '.env': `WEBSOCKET_APPS_URL=${url}\nWEBSOCKET_PORT=0\n` });
  const { code, stdout, stderr } = await runOdy(['websocket', 'start'], dir);
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^ody: apps database \(postgres: postgres:\/\/ody:\*\*\*@127\.0\.0\.1:\d+\/apps, table ody_apps\) cannot be read: .+\n$/);
  expect(stderr).not.toContain('hunter2');
}, 30_000);

test('a SQLite file that is not there at start: one line naming it, exit 1', async () => {
  const dir = project({ '.env': 'WEBSOCKET_APPS_URL=sqlite:storage/missing.sqlite\nWEBSOCKET_PORT=0\n' });
  const { code, stderr } = await runOdy(['websocket', 'start'], dir);
  expect(code).toBe(1);
  expect(stderr).toMatch(/^ody: apps database \(sqlite: \/.+\/storage\/missing\.sqlite, table ody_apps\) cannot be read: .+\n$/);
}, 30_000);

describe.skipIf(postgresMissing())('PostgreSQL down while serving', () => {
  let table: AppsTable;
  beforeAll(async () => {
    table = await appsTable('postgres');
    await table.insert({ id: 'kept', key: 'kept-key', secret: 'kept-secret' });
  }, 30_000);
  afterAll(() => table?.[Symbol.asyncDispose]());

  test('a cached app keeps serving and an unknown key gets 4001 after a short lookup', async () => {
    using logs = captureLogs();
    await using server = serve({ apps: table.source({ lookupTimeout: 300 }), additional: { logLevel: 'warning' } });
    expect((await pusherSocket(server.ws, 'kept-key')).first.event).toBe('pusher:connection_established'); // now cached
    await table.pg!.stop();
    try {
      await eventually(() => logs.lines.some((l) => l.includes('warn apps database (postgres) down, cached apps keep serving')), 'the outage to be logged');
      expect((await pusherSocket(server.ws, 'kept-key')).first.event).toBe('pusher:connection_established');
      const unknown = await pusherSocket(server.ws, 'never-seen');
      expect(unknown.first.data).toEqual({ code: 4001, message: 'App key does not exist' });
    } finally {
      await table.pg!.start();
    }
  }, 30_000);

  test('/health says degraded while it is down, and ok again (new apps served) once it is back', async () => {
    using _logs = captureLogs();
    await using server = serve({ apps: table.source({ lookupTimeout: 300 }) });
    const health = async () => ((await (await fetch(`${server.http}/health`)).json()) as { status: string }).status;
    expect(await health()).toBe('ok');
    await table.pg!.stop();
    try {
      await eventually(async () => (await health()) === 'degraded', '/health to say degraded');
    } finally {
      await table.pg!.start();
    }
    await table.insert({ id: 'after', key: 'after-key', secret: 'after-secret' });
    await eventually(async () => (await health()) === 'ok', '/health to say ok again');
    expect((await pusherSocket(server.ws, 'after-key')).first.event).toBe('pusher:connection_established');
  }, 30_000);
});
