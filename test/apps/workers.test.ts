// Rule: with apps in PostgreSQL and 2 workers (the compiled binary), each worker reads and re-reads the table on its
// own: an app disabled in the table gets its sockets on both workers closed with 4003 within cacheTtl.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { project, startOdy } from '../helpers/binary';
import type { TestClient } from '../helpers/client';
import { postgresMissing } from '../helpers/postgres';
import { type AppsTable, appsTable, pusherSocket } from './fixtures';

describe.skipIf(postgresMissing())('apps from PostgreSQL, 2 workers', () => {
  let table: AppsTable;
  beforeAll(async () => {
    table = await appsTable('postgres');
  }, 30_000);
  afterAll(() => table?.[Symbol.asyncDispose]());

  test('an app disabled in the table is closed with 4003 on both workers', async () => {
    await table.insert({ id: 'both', key: 'both-key', secret: 'both-secret' });
    const config = `export default { port: 0, apps: { driver: 'postgres', url: '${table.envUrl}', cacheTtl: 1 }, additional: { workerNum: 2 } };\n`;
    await using ody = await startOdy(['websocket', 'start'], project({ 'config/websockets.ts': config }));
    const byNode = new Map<number, TestClient>();
    for (let tries = 0; tries < 40 && byNode.size < 2; tries++) {
      const { client, first } = await pusherSocket(ody.url, 'both-key');
      expect(first.event).toBe('pusher:connection_established');
      const node = Number(String(first.data.socket_id).split('.')[1]);
      if (byNode.has(node)) client.close();
      else byNode.set(node, client);
    }
    expect(byNode.size).toBe(2);
    await table.update('both', 'enabled', false);
    const codes = await Promise.all([...byNode.values()].map(async (c) => (await c.closed).code));
    expect(codes).toEqual([4003, 4003]);
  }, 60_000);
});
