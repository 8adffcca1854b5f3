// Rule: the dashboard is never open: its page and data want the secret key or a token signed with scope 'dashboard'
// (a connection token for the chat is not enough); the page loads nothing from elsewhere.
import { expect, test } from 'bun:test';
import { signToken } from '../../src/http/token';
import { serve } from '../helpers/server';

const SECRET = 'dashboard-test-secret';
const APPS = [{ id: 'a', key: 'a-key', secret: 'a-secret' }];

test('no credential, a wrong secret or a token without the dashboard scope: 401', async () => {
  await using server = serve({ secretKey: SECRET, apps: APPS });
  const chat = signToken({ sub: 'user-1' }, { secret: SECRET, expiresIn: 60 });
  const wrong = signToken({ scope: 'dashboard' }, { secret: 'another', expiresIn: 60 });
  for (const [path, headers] of [
    ['/_ody/dashboard', {}],
    ['/_ody/dashboard', { 'x-api-key': 'nope' }],
    [`/_ody/dashboard?token=${chat}`, {}],
    [`/_ody/dashboard?token=${wrong}`, {}],
    ['/_ody/dashboard/data', { authorization: `Bearer ${chat}` }],
  ] as const) {
    expect([path, (await fetch(`${server.http}${path}`, { headers })).status]).toEqual([path, 401]);
  }
  const post = await fetch(`${server.http}/_ody/dashboard/disable?token=${signToken({ scope: 'dashboard' }, { secret: SECRET, expiresIn: 60 })}`, { method: 'POST', body: '{"app":"a"}' });
  expect(post.status).toBe(401); // ?token= is for opening the page only: actions want a header
});

test('the secret key or a dashboard token opens the page and its data; the page allows no other origin', async () => {
  await using server = serve({ secretKey: SECRET, apps: APPS });
  const token = signToken({ scope: 'dashboard' }, { secret: SECRET, expiresIn: 60 });
  const page = await fetch(`${server.http}/_ody/dashboard?token=${token}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-[^']+'; /);
  expect(await page.text()).not.toMatch(/https?:\/\//);
  const data = await fetch(`${server.http}/_ody/dashboard/data`, { headers: { 'x-api-key': SECRET } });
  expect(data.status).toBe(200);
  const body = (await data.json()) as { nodes: { node: number; apps: Record<string, unknown> }[] };
  expect(body.nodes.map((n) => Object.keys(n.apps))).toEqual([['a']]);
});
