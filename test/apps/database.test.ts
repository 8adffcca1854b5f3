// Rule: with `apps` naming a database (PostgreSQL or a SQLite file), apps are looked up by key (sockets) and by id
// (HTTP API), cached for cacheTtl, and what changes in the table (a new app, a disabled one, a new secret) takes
// effect within cacheTtl without a reload. Each driver runs the same cases against a real database.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { postgresMissing } from '../helpers/postgres';
import { captureLogs, serve } from '../helpers/server';
import { type AppsTable, appsTable, type Driver, eventually, pusherSocket, sdk } from './fixtures';

for (const driver of ['postgres', 'sqlite'] as Driver[]) {
  describe.skipIf(driver === 'postgres' && postgresMissing())(`apps from ${driver}`, () => {
    let table: AppsTable;
    beforeAll(async () => {
      table = await appsTable(driver);
    }, 30_000);
    afterAll(() => table?.[Symbol.asyncDispose]());

    test('an app in the table serves its sockets by key and its HTTP API by id', async () => {
      await table.insert({ id: 'served', key: 'served-key', secret: 'served-secret' });
      await using server = serve({ apps: table.source() });
      const { client, first } = await pusherSocket(server.ws, 'served-key');
      expect(first.event).toBe('pusher:connection_established');
      client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'news' } }));
      expect(JSON.parse((await client.next()) as string).event).toBe('pusher_internal:subscription_succeeded');
      const answer = await sdk(server.http, { id: 'served', key: 'served-key', secret: 'served-secret' }).trigger('news', 'hello', { n: 1 });
      expect(answer.status).toBe(200);
      expect(JSON.parse((await client.next()) as string)).toEqual({ event: 'hello', channel: 'news', data: '{"n":1}' });
      client.close();
    });

    test('an unknown key gets 4001 and an unknown id 404', async () => {
      await using server = serve({ apps: table.source() });
      const { client, first } = await pusherSocket(server.ws, 'nobody');
      expect(first).toEqual({ event: 'pusher:error', data: { code: 4001, message: 'App key does not exist' } });
      expect((await client.closed).code).toBe(4001);
      const answer = await sdk(server.http, { id: 'nobody', key: 'nobody', secret: 'x' }).trigger('news', 'hello', {}).catch((e) => e);
      expect(answer.status).toBe(404);
    });

    test('an app added to the table is served within cacheTtl, without a reload', async () => {
      await using server = serve({ apps: table.source() });
      expect((await pusherSocket(server.ws, 'late-key')).first.data.code).toBe(4001); // now remembered as unknown
      await table.insert({ id: 'late', key: 'late-key', secret: 'late-secret' });
      await eventually(async () => (await pusherSocket(server.ws, 'late-key')).first.event === 'pusher:connection_established', 'the new app to be served');
    });

    test('an app disabled in the table: its open sockets get 4003, new ones 4003, its HTTP API 403', async () => {
      await table.insert({ id: 'off', key: 'off-key', secret: 'off-secret' });
      await using server = serve({ apps: table.source() });
      const { client, first } = await pusherSocket(server.ws, 'off-key');
      expect(first.event).toBe('pusher:connection_established');
      await table.update('off', 'enabled', false);
      expect(JSON.parse((await client.next(8000)) as string)).toEqual({ event: 'pusher:error', data: { code: 4003, message: 'App is disabled' } });
      expect((await client.closed).code).toBe(4003);
      expect((await pusherSocket(server.ws, 'off-key')).first.data.code).toBe(4003);
      const answer = await sdk(server.http, { id: 'off', key: 'off-key', secret: 'off-secret' }).trigger('news', 'hello', {}).catch((e) => e);
      expect(answer.status).toBe(403);
    });

    test("per-app limits come from the table's columns (NULL: the default)", async () => {
      await table.insert({ id: 'capped', key: 'capped-key', secret: 'capped-secret', max_read_requests_per_second: 1, allowed_origins: 'https://shop.example, https://*.shop.example', max_event_size: null });
      await using server = serve({ apps: table.source() });
      const api = sdk(server.http, { id: 'capped', key: 'capped-key', secret: 'capped-secret' });
      expect((await api.get({ path: '/channels' })).status).toBe(200);
      expect((await api.get({ path: '/channels' }).catch((e) => e)).status).toBe(429);
      expect((await pusherSocket(server.ws, 'capped-key', { origin: 'https://evil.example' })).first.data.code).toBe(4009);
      expect((await pusherSocket(server.ws, 'capped-key', { origin: 'https://eu.shop.example' })).first.event).toBe('pusher:connection_established');
    });

    test('a row that breaks a rule is ignored with a warning naming the row and column', async () => {
      await table.insert({ id: 'broken', key: 'broken key', secret: 'broken-secret' });
      using logs = captureLogs();
      await using server = serve({ apps: table.source(), additional: { logLevel: 'warning' } });
      expect((await pusherSocket(server.ws, 'broken key')).first.data.code).toBe(4001);
      expect(logs.lines.filter((l) => l.includes('broken'))).toEqual([
        `warn apps table row id="broken": key: expected 1-128 letters, digits or _ . -, got 'broken key'; the row is ignored`,
      ]);
    });

    test('a new secret in the table takes effect within cacheTtl: the old one gets 401, the new one 200', async () => {
      await table.insert({ id: 'rotated', key: 'rotated-key', secret: 'old-secret' });
      await using server = serve({ apps: table.source() });
      const old = sdk(server.http, { id: 'rotated', key: 'rotated-key', secret: 'old-secret' });
      expect((await old.trigger('news', 'hello', {})).status).toBe(200);
      await table.update('rotated', 'secret', 'new-secret');
      const fresh = sdk(server.http, { id: 'rotated', key: 'rotated-key', secret: 'new-secret' });
      await eventually(async () => (await fresh.trigger('news', 'hello', {}).catch((e) => e)).status === 200, 'the new secret to be accepted');
      expect((await old.trigger('news', 'hello', {}).catch((e) => e)).status).toBe(401);
    });
  });
}
