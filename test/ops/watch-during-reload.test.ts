// Rule: with start --watch, a change saved while a reload is running (after it read the files) triggers one
// more reload after it, so the server ends up serving what is on disk.
import { beforeAll, expect, test } from 'bun:test';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../helpers/client';
import { ensureBinary, project, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';

beforeAll(() => void ensureBinary(), 120_000);

const controller = (reply: string) => `export class Ctl { onMessage(s: any, f: any) { s.push(f.fd, '${reply}:' + f.data); } }\n`;
// The config imports the controller first (ES imports run before the body), then, while 'hold' exists, says so
// and waits for 'go': a reload that has read the controller and is not finished yet.
const CONFIG = `import { existsSync, writeFileSync } from 'node:fs';
import { Ctl } from '../Ctl';
const root = import.meta.dir + '/..';
if (existsSync(root + '/hold')) {
  writeFileSync(root + '/waiting', '');
  while (!existsSync(root + '/go')) await Bun.sleep(10);
}
export default { port: 0, callbacks: { message: [Ctl, 'onMessage'] }, additional: { workerNum: 1, logLevel: 'debug' } };
`;

test('v2 is saved, its reload starts; v3 is saved during it; the server ends on v3', async () => {
  const dir = project({ 'config/websockets.ts': CONFIG, 'Ctl.ts': controller('v1') });
  await using ody = await startOdy(['websocket', 'start', '--watch'], dir);
  const c = await open(ody.url);
  writeFileSync(join(dir, 'hold'), '');
  writeFileSync(join(dir, 'Ctl.ts'), controller('v2'));
  await until(() => existsSync(join(dir, 'waiting')), 'the reload of v2 to be under way', 10_000);
  writeFileSync(join(dir, 'Ctl.ts'), controller('v3'));
  await until(() => ody.output().includes('reload requested (file change) while one runs'), 'the change seen during the reload', 10_000);
  rmSync(join(dir, 'hold'));
  writeFileSync(join(dir, 'go'), '');
  await until(() => ody.output().split('reloaded (file change)').length === 3, 'a second reload after the first', 10_000);
  c.send('x');
  expect(await c.next()).toBe('v3:x');
}, 30_000);
