// Rule: `ody websocket status` names the server's URL as the pid file and the start line do (ws://host:port, no
// trailing slash), with one worker and with several, in text and in --json.
import { beforeAll, expect, test } from 'bun:test';
import { ensureBinary, pidState, project, runOdy, startOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

for (const workers of ['1', '2']) {
  test(`workers=${workers}: status prints the URL the server started on`, async () => {
    const dir = project({});
    await using ody = await startOdy(['websocket', 'start', '--port', '0', '--workers', workers], dir);
    expect(ody.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(pidState(dir).url).toBe(ody.url);
    const text = await runOdy(['websocket', 'status'], dir);
    expect([text.code, text.stdout.split('\n')[0]]).toEqual([0, `ody is running on ${ody.url}`]);
    const json = await runOdy(['websocket', 'status', '--json'], dir);
    expect(JSON.parse(json.stdout).url).toBe(ody.url);
  }, 30_000);
}
