// Rule: the demo page served on GET / chats through the server in a real browser (Debian's chromium), with the key or a token.
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { signToken } from '../../src/index';
import { defaultConfig } from '../../src/server/default-config';
import { serve } from '../helpers/server';
import { browserMissing, launchBrowser } from '../helpers/browser';


test.skipIf(browserMissing)('two browser tabs chat through the built-in Server; a wrong key is refused', async () => {
  const secret = 'browser-secret-42';
  await using s = serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: secret, additional: { workerNum: 1, logLevel: 'error' } });
  const browser = await launchBrowser();
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

test.skipIf(browserMissing)('a browser tab connects with a signed token typed in the key field; an expired one is refused', async () => {
  const secret = 'browser-secret-43';
  await using s = serve({ ...defaultConfig(), host: '127.0.0.1', port: 0, secretKey: secret, additional: { workerNum: 1, logLevel: 'error' } });
  const browser = await launchBrowser();
  try {
    const [ada, late] = await Promise.all([browser.newPage(), browser.newPage()]);
    const body = Buffer.from(JSON.stringify({ sub: 'late', exp: Math.floor(Date.now() / 1000) - 1 })).toString('base64url');
    const expired = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    for (const [page, key] of [[ada, signToken({ sub: 'ada' }, { secret, expiresIn: 60 })], [late, expired]] as const) {
      await page.goto(`${s.http}/`);
      await page.fill('#key', key);
      await page.click('#connect-btn');
    }
    await ada.waitForSelector('text=Connected.');
    await late.waitForSelector('text=/Closed \\(1006\\)/');
    expect(s.server.getClientInfo(1)?.data).toEqual({ token: { sub: 'ada', exp: expect.any(Number) } });
    expect(s.server.stats()).toMatchObject({ connections: 1, handshakesRejected: 1 });
  } finally {
    await browser.close();
  }
}, 60_000);
