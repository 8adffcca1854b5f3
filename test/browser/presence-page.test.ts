// Rule: the presence demo (GET /presence on the built-in Server of the compiled binary, one app from the environment)
// shows who is online in a real browser (Debian's chromium): two tabs see each other, one closes, the other sees it
// leave. Everything the page loads comes from ody itself (pusher-js is embedded in the binary); its auth endpoint
// signs the demo channel only.
import { expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { bareEnv, project, startOdy } from '../helpers/binary';
import { browserMissing, launchBrowser } from '../helpers/browser';


const online = (page: Page) => page.locator('#members li').allTextContents();
const until = (page: Page, names: string[]) =>
  page.waitForFunction((want) => [...document.querySelectorAll('#members li')].map((li) => li.textContent).join(',') === want, names.join(','), { timeout: 15_000 });

test.skipIf(browserMissing)('two tabs see each other on the presence page; when one closes, the other sees it leave', async () => {
  const env = bareEnv({ WEBSOCKET_PORT: '0', WEBSOCKET_WORKER_COUNT: '1', WEBSOCKET_APP_ID: 'demo', WEBSOCKET_APP_KEY: 'demo-key', WEBSOCKET_APP_SECRET: 'demo-secret-0123' });
  await using ody = await startOdy(['websocket', 'start'], project({}), env);
  const browser = await launchBrowser();
  try {
    const [ada, bob] = await Promise.all([browser.newPage(), browser.newPage()]);
    const foreign: string[] = [];
    for (const [page, name] of [[ada, 'ada'], [bob, 'bob']] as const) {
      page.on('request', (r) => r.url().startsWith(ody.http) || foreign.push(r.url()));
      await page.goto(`${ody.http}/presence`);
      await page.fill('#name', name);
      await page.click('#join-btn');
      await until(page, name === 'ada' ? ['ada'] : ['ada', 'bob']);
    }
    await until(ada, ['ada', 'bob']);
    expect(await online(ada)).toEqual(['ada', 'bob']);
    expect(await ada.locator('#members li.me').allTextContents()).toEqual(['ada']);
    expect(await bob.locator('#count').textContent()).toBe('2');
    await bob.close();
    await until(ada, ['ada']);
    expect(await ada.locator('#count').textContent()).toBe('1');
    expect(foreign).toEqual([]);
  } finally {
    await browser.close();
  }
  // The endpoint trusts any name, so it signs nothing but the demo channel.
  const auth = (channel: string) => fetch(`${ody.http}/presence/auth`, { method: 'POST', body: new URLSearchParams({ socket_id: '1.1', channel_name: channel, name: 'x' }) });
  expect((await auth('private-secrets')).status).toBe(403);
  expect((await auth('presence-ody-demo')).status).toBe(200);
}, 60_000);
