// Rule: text from clients cannot forge or hide log lines: every C0/C1 control character and DEL is escaped
// visibly, and the default log level (info) does not write message text at all.
import { beforeAll, expect, test } from 'bun:test';
import { open } from '../helpers/client';
import { ensureBinary, project, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const config = (additional: string) => `
import { defineConfig, Event, Server } from '@ody/websocket-server';
export default defineConfig({
  port: 0,
  callbacks: { [Event.ON_OPEN]: [Server, 'onOpen'], [Event.ON_MESSAGE]: [Server, 'onMessage'], [Event.ON_CLOSE]: [Server, 'onClose'] },
  additional: { workerNum: 1, ${additional} },
});
`;

test('at debug level a message with CR, ESC, BEL, DEL and C1 controls is logged on one line, escaped', async () => {
  const dir = project({ 'config/websockets.ts': config("logLevel: 'debug'") });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const c = await open(ody.url);
  c.send('a\rFAKE 2099-01-01T00:00:00.000Z error forged\x1b[2Kb\x07c\x7fd\u0085e\u009bf\tg\nh');
  await until(() => ody.output().includes('Received from'), 'the debug line');
  const line = ody.output().split('\n').find((l) => l.includes('Received from'))!;
  expect(line.slice(line.indexOf('message: '))).toBe(
    'message: a\\rFAKE 2099-01-01T00:00:00.000Z error forged\\x1b[2Kb\\x07c\\x7fd\\x85e\\x9bf\\tg\\nh',
  );
  expect(ody.output()).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/); // only the line breaks between records remain
});

test('with no logLevel set, message text is not logged (the default is info)', async () => {
  const dir = project({ 'config/websockets.ts': config('') });
  await using ody = await startOdy(['websocket', 'start'], dir);
  const c = await open(ody.url);
  c.send('private words');
  c.close();
  await until(() => /Connection <1> closed/.test(ody.output()), 'the close line');
  expect(ody.output()).toContain('Connection <1> open by Client-000001');
  expect(ody.output()).not.toContain('private words');
});
