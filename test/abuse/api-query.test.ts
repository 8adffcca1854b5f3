// Rule: a signed HTTP API request whose query names a parameter twice is refused (400): the signature covers one
// value and a reader could take the other, so a captured request could be altered within its timestamp window.
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { serve } from '../helpers/server';

const APP = { id: 'app1', key: 'key1', secret: 'secret-one' };

test('a duplicated query parameter on a signed request is a 400', async () => {
  await using server = serve({ apps: [APP] });
  const path = `/apps/${APP.id}/channels`;
  // Signed with info=user_count last, as an SDK's signature of the last value would see it.
  const params: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', filter_by_prefix: 'presence-', info: 'user_count' };
  const sorted = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join('&');
  const signature = createHmac('sha256', APP.secret).update(`GET\n${path}\n${sorted}`).digest('hex');
  const query = `info=subscription_count&${new URLSearchParams({ ...params, auth_signature: signature })}`;
  const response = await fetch(`${server.http}${path}?${query}`);
  expect([response.status, await response.json()]).toEqual([400, { error: "Query parameter 'info' appears more than once" }]);
});
