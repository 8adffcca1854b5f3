// Rule: the shipped config/websockets.ts logs at 'info', as its comment and the README say: chat text (a debug line)
// stays out of the log.
import { beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../helpers/client';
import { ensureBinary, project, ROOT, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

test('a chat message under the shipped config is relayed and not logged', async () => {
  const dir = project({ 'config/websockets.ts': readFileSync(join(ROOT, 'config/websockets.ts'), 'utf8') });
  await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', '1'], dir);
  using sender = await open(ody.url, { protocols: ['ody', '123123123'] });
  using receiver = await open(ody.url, { protocols: ['ody', '123123123'] });
  sender.send('private chat text');
  expect(await receiver.next()).toBe('private chat text');
  await ody.stop();
  expect(ody.output()).toContain('Total connections: 2'); // info lines are there
  expect(ody.output()).not.toContain('private chat text');
});
