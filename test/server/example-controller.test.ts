// Rule: the PHP package's WebSocketController example, ported in examples/, behaves as the original meant.
import { expect, spyOn, test } from 'bun:test';
import { WebSocketController } from '../../examples/WebSocketController';
import { Event } from '../../src/index';
import { open } from '../helpers/client';
import { serve, until } from '../helpers/server';

test('Opened on open, "Recv: " echo on message, onRequest pushes the body to every client; onClose prints the close', async () => {
  // The example prints with console.log, as the PHP original echoes: captured here and compared, not shown.
  const printed: string[] = [];
  const print = spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
  try {
    await using s = serve({
      callbacks: {
        [Event.ON_HAND_SHAKE]: [WebSocketController, 'onHandshake'],
        [Event.ON_OPEN]: [WebSocketController, 'onOpen'],
        [Event.ON_MESSAGE]: [WebSocketController, 'onMessage'],
        [Event.ON_CLOSE]: [WebSocketController, 'onClose'],
        [Event.ON_REQUEST]: [WebSocketController, 'onRequest'],
        [Event.ON_DISCONNECT]: [WebSocketController, 'onDisconnect'],
      },
    });
    const a = await open(s.ws, { headers: { 'user-agent': 'probe/1' } });
    const b = await open(s.ws, { lib: 'ws' });
    expect([await a.next(), await b.next()]).toEqual(['Opened', 'Opened']);
    a.send('ping');
    expect(await a.next()).toBe('Recv: ping');
    const res = await fetch(s.http, { method: 'POST', body: 'to everyone' });
    expect(res.status).toBe(200);
    expect([await a.next(), await b.next()]).toEqual(['to everyone', 'to everyone']);
    expect(s.server.getClientInfo(1)?.data).toEqual({ agent: 'probe/1' });
    a.close();
    await until(() => s.server.count() === 1, 'close');
    expect(printed).toEqual(['closed 1 (1005)']);
  } finally {
    print.mockRestore();
  }
  expect(printed).toEqual(['closed 1 (1005)', 'closed 2 (1001)']); // b, when the server stopped
});
