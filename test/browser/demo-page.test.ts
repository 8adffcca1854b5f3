// Rule: the demo page served on GET / chats through the server in a real browser (Debian's chromium).
import { expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { defaultConfig } from '../../src/server/default-config';
import { serve } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs chromium (see .ci/run) and must run this; elsewhere it is skipped only when chromium is absent.
const missing = !existsSync(CHROMIUM) && !process.env.CI;
if (missing) console.warn(`skipping browser test: ${CHROMIUM} not found (apt-get install chromium)`);

test.skipIf(missing)('two browser tabs chat through the built-in Server; a wrong key is refused', async () => {
  const secret = 'browser-secret-42';
  await using s = serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: secret, additional: { workerNum: 1, logLevel: 'error' } });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const [alice, bob, mallory] = await Promise.all([browser.newPage(), browser.newPage(), browser.newPage()]);
    for (const [page, key] of [[alice, secret], [bob, secret], [mallory, 'wrong']] as const) {
      await page.goto(`${s.http}/`);
      await page.fill('#key', key);
      await page.click('#connect-btn');
    }
    await alice.waitForSelector('text=Connected.');
    await bob.waitForSelector('text=Connected.');
    await mallory.waitForSelector('text=/Closed \\(1006\\)/');
    await alice.fill('#text', 'hello from alice');
    await alice.click('#send-btn');
    await bob.waitForSelector('text=peer: hello from alice');
    expect(await bob.locator('#log li').allTextContents()).toEqual(['connected', 'peer: hello from alice']);
    expect(await alice.locator('#log li').allTextContents()).toEqual(['connected', 'me: hello from alice']);
    expect(s.server.stats()).toMatchObject({ connections: 2, handshakesRejected: 1 });
    if (process.env.ODY_SCREENSHOT) await bob.screenshot({ path: process.env.ODY_SCREENSHOT });
  } finally {
    await browser.close();
  }
}, 60_000);
