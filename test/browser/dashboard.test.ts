// Rule: the live dashboard (GET /_ody/dashboard, opened with a dashboard token) shows in Chromium what happened on a
// 2-worker server: per-app and per-node connections, messages in and out, presence members, a chart with points
// (its screenshot is not blank), a channel's subscribers and members; its buttons terminate a user's connections and
// disable the app on every worker, each after a confirmation.
import { expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import PusherSdk from 'pusher';
import { signToken } from '../../src/http/token';
import { pusherSocket } from '../apps/fixtures';
import { bareEnv, type Ody, project, startOdy } from '../helpers/binary';
import { browserMissing, launchBrowser } from '../helpers/browser';
import type { TestClient } from '../helpers/client';

const SECRET = 'dashboard-secret-0123456789';
const APP = { id: 'shop', key: 'shop-key', secret: 'shop-secret' };

interface Sock {
  client: TestClient;
  socketId: string;
  node: number;
}

/** A socket of the app on a worker other than `avoid` (-1: any). */
async function socketOn(ody: Ody, avoid: number): Promise<Sock> {
  for (let tries = 0; tries < 40; tries++) {
    const { client, first } = await pusherSocket(ody.url, APP.key);
    const socketId = String(first.data.socket_id);
    const node = Number(socketId.split('.')[1]);
    if (node !== avoid) return { client, socketId, node };
    client.close();
    await client.closed;
  }
  throw new Error('no socket landed on the other worker');
}

const frame = async (c: TestClient) => JSON.parse((await c.next()) as string) as { event: string; data: any };

/** Signs in as `user` and joins presence-room: 2 frames in, as pusher-js would send them. */
async function join(s: Sock, sdk: PusherSdk, user: string): Promise<void> {
  s.client.send(JSON.stringify({ event: 'pusher:signin', data: sdk.authenticateUser(s.socketId, { id: user }) }));
  expect((await frame(s.client)).event).toBe('pusher:signin_success');
  const auth = sdk.authorizeChannel(s.socketId, 'presence-room', { user_id: user, user_info: { name: user } });
  s.client.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', ...auth } }));
  expect((await frame(s.client)).event).toBe('pusher_internal:subscription_succeeded');
}

async function startDashboard(): Promise<{ ody: Ody; sdk: PusherSdk; url: string }> {
  const env = bareEnv({ WEBSOCKET_PORT: '0', WEBSOCKET_WORKER_COUNT: '2', WEBSOCKET_SECRET_KEY: SECRET, WEBSOCKET_APP_ID: APP.id, WEBSOCKET_APP_KEY: APP.key, WEBSOCKET_APP_SECRET: APP.secret });
  const ody = await startOdy(['websocket', 'start'], project({}), env);
  const port = new URL(ody.url).port;
  const sdk = new PusherSdk({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port, useTLS: false });
  return { ody, sdk, url: `${ody.http}/_ody/dashboard?token=${signToken({ scope: 'dashboard' }, { secret: SECRET, expiresIn: 600 })}` };
}

/** The cells of the apps table row of `app` on `node` ('all': the total). */
const cells = (page: Page, node: number | 'all') => page.locator(`#apps tr[data-app="${APP.id}"][data-node="${node}"] td`).allTextContents();
const COLUMNS = ['app', 'node', 'connections', 'in/s', 'out/s', 'in', 'out', 'channels', 'members', 'state'];
const named = (row: string[]) => Object.fromEntries(COLUMNS.map((c, i) => [c, row[i]]));

/** Pixels of the line colour in a PNG, decoded in a blank page (the dashboard's CSP allows no data: images). */
async function coloured(browser: Browser, png: Buffer): Promise<number> {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = new OffscreenCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, img.width, img.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 1]! > px[i]! + 60 && px[i + 1]! > px[i + 2]! + 60) n++; // green: the connections line
      return n;
    }, png.toString('base64'));
  } finally {
    await blank.close();
  }
}

test.skipIf(browserMissing)('the page shows per-app and per-node numbers that match the traffic, a drawn chart, and a channel lookup', async () => {
  const { ody, sdk, url } = await startDashboard();
  await using _ody = ody;
  const ann = await socketOn(ody, -1);
  const bob = await socketOn(ody, ann.node);
  const idle = await socketOn(ody, -1);
  await join(ann, sdk, 'ann');
  await join(bob, sdk, 'bob');
  expect((await frame(ann.client)).event).toBe('pusher_internal:member_added'); // bob's arrival: 1 out, on ann's node
  for (let n = 0; n < 3; n++) ann.client.send(JSON.stringify({ event: 'client-typing', channel: 'presence-room', data: { n } }));
  for (let n = 0; n < 3; n++) expect((await frame(bob.client)).event).toBe('client-typing'); // 3 out, on bob's node
  // In: 2 frames each from ann and bob (sign-in, subscribe) and ann's 3 client events. Out: 4 channel deliveries.
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (r) => r.url().startsWith(ody.http) || foreign.push(r.url()));
    await page.goto(url);
    expect(new URL(page.url()).search).toBe(''); // the token left the address bar
    await page.waitForFunction(() => document.querySelector('#apps tr[data-node="all"] td:nth-child(6)')?.textContent === '7', undefined, { timeout: 30_000 });
    expect(named(await cells(page, 'all'))).toMatchObject({ app: 'shop', node: 'all', connections: '3', in: '7', out: '4', state: 'enabled' });
    const annNode = named(await cells(page, ann.node));
    const bobNode = named(await cells(page, bob.node));
    expect([annNode.connections, bobNode.connections].map(Number).reduce((a, b) => a + b)).toBe(3);
    expect([annNode.channels, annNode.members, bobNode.channels, bobNode.members]).toEqual(['1', '1', '1', '1']);
    expect([annNode.in, annNode.out, bobNode.in, bobNode.out]).toEqual(['5', '1', '2', '3']);
    expect(await page.locator('#nodes tbody tr').count()).toBe(2);
    await page.waitForFunction(() => Number((document.querySelector('#chart-connections') as HTMLElement).dataset.points) >= 2, undefined, { timeout: 30_000 });
    // Each point is a 3x3 mark in the line's green: a blank chart has none.
    expect(await coloured(browser, await page.locator('#chart-connections').screenshot())).toBeGreaterThanOrEqual(9);

    await page.selectOption('#search-app', APP.id);
    await page.fill('#search-channel', 'presence-room');
    await page.click('#search button');
    await page.waitForSelector('#subscribers tr[data-socket]');
    const rows = await page.locator('#subscribers tr[data-socket]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
    expect(rows.sort((a, b) => a[2]!.localeCompare(b[2]!))).toEqual([[ann.socketId, String(ann.node), 'ann'], [bob.socketId, String(bob.node), 'bob']]);
    expect(await page.locator('#members li').allTextContents()).toEqual(['ann {"name":"ann"}', 'bob {"name":"bob"}']);
    expect(foreign).toEqual([]);
  } finally {
    await browser.close();
    for (const s of [ann, bob, idle]) s.client.close();
  }
}, 90_000);

test.skipIf(browserMissing)("the buttons close a user's sockets (4009) and disable the app on every worker (4003), each after a confirmation", async () => {
  const { ody, sdk, url } = await startDashboard();
  await using _ody = ody;
  const ann = await socketOn(ody, -1);
  const bob = await socketOn(ody, ann.node);
  await join(ann, sdk, 'ann');
  await join(bob, sdk, 'bob');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.goto(url);
    await page.selectOption('#search-app', APP.id);
    await page.fill('#search-channel', 'presence-room');
    await page.click('#search button');
    await page.click(`#subscribers tr[data-socket="${ann.socketId}"] button`);
    expect((await ann.client.closed).code).toBe(4009);
    await page.click(`#apps tr[data-node="all"] button`);
    expect((await bob.client.closed).code).toBe(4003);
    expect((await pusherSocket(ody.url, APP.key)).first.data.code).toBe(4003);
    expect(asked).toEqual(['Close every connection of user ann (all nodes)?', 'Disable app shop on every node? Its sockets are closed with 4003 and its API answers 403 until the servers restart.']);
  } finally {
    await browser.close();
  }
}, 90_000);
