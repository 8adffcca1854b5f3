// Rule: server.disconnect() takes only close codes an application may send (1000, 3000-4999), like the API;
// anything else throws a TypeError naming the code, and the connection stays open.
import { expect, test } from 'bun:test';
import { open } from '../helpers/client';
import { serve } from '../helpers/server';

test('disconnect(fd, 999) throws and leaves the socket open; disconnect(fd, 4000) closes it with 4000', async () => {
  await using s = serve();
  const c = await open(s.ws);
  const [fd] = [...s.server.connections];
  for (const bad of [999, 1001, 1005, 1006, 2999, 5000, 4000.5, Number.NaN]) {
    expect(() => s.server.disconnect(fd!, bad)).toThrow(new TypeError(`disconnect(): close code must be 1000 or 3000-4999, got ${bad}`));
  }
  expect(s.server.isEstablished(fd!)).toBe(true);
  expect(s.server.disconnect(fd!, 4000, 'bye')).toBe(true);
  expect(await c.closed).toEqual({ code: 4000, reason: 'bye' });
});
