// Rule: a presence user_id (or sign-in id) with a control character is refused with a clear error, so no signed id
// can alias another user's state ('victim\u0000x' must never make ody announce member_removed for 'victim').
import { expect, test } from 'bun:test';
import { defaultConfig } from '../../src/server/default-config';
import { hmac } from '../../src/pusher/signatures';
import { connect, type TestClient } from '../helpers/client';
import { serve } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };
const CHANNEL = 'presence-room';

async function established(url: string): Promise<{ client: TestClient; socketId: string }> {
  const client = connect(`${url}/app/${APP.key}?protocol=7`);
  const hello = JSON.parse((await client.next()) as string);
  return { client, socketId: JSON.parse(hello.data).socket_id };
}

/** Signed by hand, as any backend's auth endpoint could (ody's own helpers refuse such ids). */
function join(client: TestClient, socketId: string, userId: string): void {
  const channelData = JSON.stringify({ user_id: userId });
  const auth = `${APP.key}:${hmac(APP.secret, `${socketId}:${CHANNEL}:${channelData}`)}`;
  client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: CHANNEL, auth, channel_data: channelData } }));
}

test('a presence user_id with NUL gets subscription_error and the real user is not announced as removed', async () => {
  await using server = serve({ apps: [APP] });
  const { client: victim, socketId: victimId } = await established(server.ws);
  join(victim, victimId, 'victim');
  expect(JSON.parse((await victim.next()) as string).event).toBe('pusher_internal:subscription_succeeded');
  const { client: attacker, socketId } = await established(server.ws);
  join(attacker, socketId, 'victim\u0000x');
  expect(JSON.parse((await attacker.next()) as string)).toEqual({
    event: 'pusher:subscription_error',
    channel: CHANNEL,
    data: { type: 'InvalidChannelData', error: 'channel_data.user_id must not contain control characters', status: 400 },
  });
  attacker.close();
  await attacker.closed;
  // The victim hears nothing: a ping answered proves its earlier frames have all arrived.
  victim.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
  expect(JSON.parse((await victim.next()) as string).event).toBe('pusher:pong');
  expect(victim.messages.map((m) => JSON.parse(m as string).event)).toEqual(['pusher:connection_established', 'pusher_internal:subscription_succeeded', 'pusher:pong']);
  victim.close();
});

test('a sign-in id with a control character is refused with 4009', async () => {
  await using server = serve({ apps: [APP] });
  const { client, socketId } = await established(server.ws);
  const userData = JSON.stringify({ id: 'victim\u0000x' });
  client.send(JSON.stringify({ event: 'pusher:signin', data: { user_data: userData, auth: `${APP.key}:${hmac(APP.secret, `${socketId}::user::${userData}`)}` } }));
  expect(JSON.parse((await client.next()) as string)).toEqual({ event: 'pusher:error', data: { code: 4009, message: 'Invalid user authentication' } });
  expect((await client.closed).code).toBe(4009);
});

test('the /presence demo does not sign a name with a control character', async () => {
  await using server = serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: 'a-test-secret-of-some-length', apps: [APP], additional: { workerNum: 1, logLevel: 'error' } });
  const auth = (name: string) => fetch(`${server.http}/presence/auth`, { method: 'POST', body: new URLSearchParams({ socket_id: '1.2', channel_name: 'presence-ody-demo', name }) });
  expect([(await auth('victim')).status, (await auth('victim\u0000x')).status]).toEqual([200, 400]);
});
