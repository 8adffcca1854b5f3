// Rule: every WsServer method does what its Swoole namesake does, over real sockets.
import { expect, test } from 'bun:test';
import type { Frame, OpenRequest, WsServer } from '../../src/index';
import { connect, open, type TestClient } from '../helpers/client';
import { serve, until } from '../helpers/server';

async function three(url: string): Promise<TestClient[]> {
  return [await open(url), await open(url, { lib: 'ws' }), await open(url)];
}

test('push sends to one fd; it returns false for an unknown fd', async () => {
  await using s = serve();
  const [a, b] = await three(s.ws);
  expect(s.server.push(2, 'for b')).toBe(true);
  expect(s.server.push(2, new Uint8Array([7, 8]))).toBe(true);
  expect(s.server.push(99, 'nobody')).toBe(false);
  expect(await b!.next()).toBe('for b');
  expect([...((await b!.next()) as Uint8Array)]).toEqual([7, 8]);
  await Bun.sleep(20);
  expect(a!.messages).toEqual([]);
});

test('isEstablished, exist and connections track open sockets only', async () => {
  const gate = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  await using s = serve({
    callbacks: {
      handshake: async (_r: Request, hs: { fd: number }) => {
        if (hs.fd !== 3) return;
        entered.resolve();
        await gate.promise;
      },
    },
  });
  await open(s.ws);
  await open(s.ws, { lib: 'ws' });
  const third = connect(s.ws);
  await entered.promise;
  // fd 3 is mid-handshake: it exists but is not an established WebSocket yet
  expect([s.server.exist(3), s.server.isEstablished(3), [...s.server.connections]]).toEqual([true, false, [1, 2]]);
  gate.resolve();
  await third.opened;
  expect([...s.server.connections]).toEqual([1, 2, 3]);
  expect([s.server.isEstablished(3), s.server.exist(3), s.server.isEstablished(42), s.server.exist(42)]).toEqual([true, true, false, false]);
});

test('disconnect closes one fd with the given code and reason', async () => {
  await using s = serve();
  const [a, b] = await three(s.ws);
  expect(s.server.disconnect(1, 4000, 'kicked')).toBe(true);
  expect(await a!.closed).toEqual({ code: 4000, reason: 'kicked' });
  expect(s.server.disconnect(1)).toBe(false);
  await until(() => s.server.count() === 2, 'two left');
  expect(s.server.isEstablished(2)).toBe(true);
  b!.close();
});

test('getClientInfo describes an open fd and is null otherwise', async () => {
  await using s = serve({ callbacks: { handshake: (_r: Request, hs: { data: Record<string, unknown>; setProtocol(p: string): void }) => { hs.data.role = 'admin'; hs.setProtocol('v2'); } } });
  using c = await open(`${s.ws}/chat`, { protocols: ['v1', 'v2'] });
  const info = s.server.getClientInfo(1)!;
  expect({ ...info, connectTime: typeof info.connectTime }).toEqual({
    fd: 1, remoteAddress: '127.0.0.1', url: `${s.http}/chat`, protocol: 'v2', connectTime: 'number', worker: 0, node: 0, data: { role: 'admin' },
  });
  expect(c.protocol()).toBe('v2');
  expect(s.server.getClientInfo(5)).toBeNull();
});

test('broadcast reaches every open socket once, minus the excepted fds', async () => {
  await using s = serve();
  const clients = await three(s.ws);
  expect(s.server.broadcast('all')).toBe(3);
  expect(s.server.broadcast('not 2', { except: 2 })).toBe(2);
  expect(s.server.broadcast('only 2', { except: [1, 3] })).toBe(1);
  expect(s.server.broadcast('after', { except: [] })).toBe(3);
  await until(() => clients.every((c, i) => c.messages.length === (i === 1 ? 3 : 3)), 'deliveries');
  expect(clients.map((c) => c.messages)).toEqual([
    ['all', 'not 2', 'after'],
    ['all', 'only 2', 'after'],
    ['all', 'not 2', 'after'],
  ]);
});

test('subscribe, publish, subscriberCount and unsubscribe use topics', async () => {
  await using s = serve({
    callbacks: {
      open: (server: WsServer, r: OpenRequest) => void server.subscribe(r.fd, new URL(r.url).pathname.slice(1)),
      message: (server: WsServer, f: Frame) => void server.publish('news', f.data),
    },
  });
  const news1 = await open(`${s.ws}/news`);
  const sport = await open(`${s.ws}/sport`);
  const news2 = await open(`${s.ws}/news`, { lib: 'ws' });
  expect([s.server.subscriberCount('news'), s.server.subscriberCount('sport'), s.server.subscriberCount('none')]).toEqual([2, 1, 0]);
  sport.send('headline');
  expect([await news1.next(), await news2.next()]).toEqual(['headline', 'headline']);
  expect(s.server.unsubscribe(1, 'news')).toBe(true);
  expect(s.server.publish('news', 'second')).toBe(1);
  expect(await news2.next()).toBe('second');
  await Bun.sleep(20);
  expect([news1.messages, sport.messages]).toEqual([['headline'], []]);
  expect(s.server.subscribe(77, 'news')).toBe(false);
  expect(() => s.server.publish('', 'x')).toThrow(/topic/);
});

test('stats counts connections and messages in and out', async () => {
  await using s = serve({ callbacks: { message: (server: WsServer, f: Frame) => void server.push(f.fd, f.data) } });
  const [a, b] = await three(s.ws);
  a!.send('1');
  b!.send('2');
  await a!.next();
  await b!.next();
  const st = s.server.stats();
  expect({ connections: st.connections, total: st.connectionsTotal, in: st.messagesIn, out: st.messagesOut, pid: st.pid }).toEqual({
    connections: 3, total: 3, in: 2, out: 2, pid: process.pid,
  });
  expect(st.rssBytes).toBeGreaterThan(0);
});

test('maxConnections answers 503 once full, and onDisconnect fires for the refused fd', async () => {
  const refused: number[] = [];
  await using s = serve({ additional: { maxConnections: 2 }, callbacks: { disconnect: (_s: WsServer, fd: number) => void refused.push(fd) } });
  await open(s.ws);
  await open(s.ws);
  const res = await fetch(s.http, { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
  expect(res.status).toBe(503);
  expect(refused).toEqual([3]);
});

test('topics() lists each topic with its subscriber count; left and closed subscribers drop out', async () => {
  await using s = serve();
  const [, b] = await three(s.ws);
  s.server.subscribe(1, 'news');
  s.server.subscribe(2, 'news');
  s.server.subscribe(2, 'sport');
  s.server.subscribe(3, 'weather');
  s.server.unsubscribe(3, 'weather');
  expect(s.server.topics()).toEqual([{ topic: 'news', subscribers: 2 }, { topic: 'sport', subscribers: 1 }]);
  b!.close();
  await until(() => s.server.count() === 2, 'close seen');
  expect(s.server.topics()).toEqual([{ topic: 'news', subscribers: 1 }]);
});
