// Rule: a path that cannot be percent-decoded is a client error (400), never a 500, and a refused handshake gives
// back the per-IP slot it took: malformed /app/{key} upgrades cannot lock an address out.
import { expect, test } from 'bun:test';
import { connect, HANDSHAKE_HEADERS } from '../helpers/client';
import { captureLogs, serve } from '../helpers/server';

const APPS = [{ id: 'app1', key: 'key1', secret: 'secret-one' }];

test('malformed escapes in /app/{key} get 400 and free their per-IP slot', async () => {
  using logs = captureLogs();
  await using server = serve({ apps: APPS, additional: { maxConnectionsPerIp: 2 } });
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.http}/app/%E0%A4%A`, { headers: HANDSHAKE_HEADERS })).status);
  expect(statuses).toEqual([400, 400, 400, 400, 400]);
  using client = connect(`${server.ws}/app/key1?protocol=7`);
  expect(JSON.parse((await client.next()) as string).event).toBe('pusher:connection_established');
  expect(logs.lines.filter((l) => l.startsWith('error'))).toEqual([]);
});

test('malformed escapes in /apps/{id}/… get 400, not 500', async () => {
  using logs = captureLogs();
  await using server = serve({ apps: APPS });
  const response = await fetch(`${server.http}/apps/%E0%A4%A/channels`);
  expect([response.status, await response.json()]).toEqual([400, { error: 'Malformed percent-escape in the path' }]);
  expect(logs.lines.filter((l) => l.startsWith('error'))).toEqual([]);
});
