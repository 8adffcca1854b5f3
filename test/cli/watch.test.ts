// Rule: start --watch reloads on a controller change; open clients stay connected and get the new code.
import { beforeAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../helpers/client';
import { ensureBinary, project, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const controller = (reply: string) => `export class Ctl { onMessage(s: any, f: any) { s.push(f.fd, '${reply}:' + f.data); } }\n`;
const CONFIG = `import { Ctl } from '../Ctl';\nexport default { port: 0, callbacks: { message: [Ctl, 'onMessage'] }, additional: { workerNum: 1, logLevel: 'info' } };\n`;

test('a saved controller is swapped in without dropping the open client', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, 'Ctl.ts': controller('old') });
  await using ody = await startOdy(['websocket', 'start', '--watch'], dir);
  const c = await open(ody.url);
  c.send('a');
  expect(await c.next()).toBe('old:a');
  writeFileSync(join(dir, 'Ctl.ts'), controller('new'));
  await until(() => ody.output().includes('reloaded (file change)'), 'watch reload', 10_000);
  c.send('b');
  expect(await c.next()).toBe('new:b');
});
