// Rule: ContextManager reaches the running server and its table from callbacks and from onRequest.
import { expect, test } from 'bun:test';
import { ContextManager, type Frame, type OpenRequest, type WsServer } from '../../src/index';
import { open } from '../helpers/client';
import { serve } from '../helpers/server';

test('ContextManager.get(WsServer) is the server passed to callbacks, usable from onRequest', async () => {
  const seen: boolean[] = [];
  await using s = serve({
    callbacks: {
      open: (server: WsServer, r: OpenRequest) => {
        seen.push(ContextManager.get('WsServer') === server);
        ContextManager.get('FdsTable').set(r.fd, { fd: r.fd, name: `user-${r.fd}` });
      },
      message: (_server: WsServer, f: Frame) => {
        const server = ContextManager.get('WsServer');
        server.push(f.fd, `you are ${ContextManager.get('FdsTable').get(f.fd, 'name')}`);
      },
      request: async (req: Request) => {
        const server = ContextManager.get('WsServer');
        const body = await req.text();
        let pushed = 0;
        for (const fd of server.connections) if (server.isEstablished(fd) && server.push(fd, body)) pushed++;
        return Response.json({ pushed, rows: ContextManager.get('FdsTable').count() });
      },
    },
  });
  const a = await open(s.ws);
  const b = await open(s.ws, { lib: 'ws' });
  a.send('who');
  expect(await a.next()).toBe('you are user-1');
  const res = await fetch(s.http, { method: 'POST', body: 'hello all' });
  expect(await res.json()).toEqual({ pushed: 2, rows: 2 });
  expect([await a.next(), await b.next()]).toEqual(['hello all', 'hello all']);
  expect(seen).toEqual([true, true]);
  expect(ContextManager.get('FdsTable')).toBe(s.server.table);
});

test('user values can be stored and read back', () => {
  ContextManager.set('answer', 42);
  expect([ContextManager.has('answer'), ContextManager.get<number>('answer'), ContextManager.has('nope')]).toEqual([true, 42, false]);
  ContextManager.delete('answer');
  expect(ContextManager.has('answer')).toBe(false);
});
