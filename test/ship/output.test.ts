// Rule: output is plain (no colour codes) unless a person's terminal receives it; logFormat 'json' writes one
// JSON object per line, {time, level, worker?, msg}, in the primary and in every worker.
import { beforeAll, expect, test } from 'bun:test';
import { open } from '../helpers/client';
import { bareEnv, ensureBinary, project, runOdy, startOdy } from '../helpers/binary';
import { until } from '../helpers/server';
import { runTool } from '../helpers/tools';

beforeAll(() => void ensureBinary(), 120_000);

const ESC = '\x1b[';

/** Runs the binary under a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
async function inTerminal(args: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await runTool(['script', '-qec', `${ensureBinary()} ${args}`, '/dev/null'], { env: bareEnv({ TERM: 'xterm', ...env }), timeoutMs: 10_000 });
  return stdout;
}

test('--help is coloured only on a terminal: plain through a pipe and with NO_COLOR set', async () => {
  const dir = project({});
  const piped = await runOdy(['--help'], dir);
  expect(piped.code).toBe(0);
  expect(piped.stdout).toContain('USAGE');
  expect(piped.stdout).not.toContain(ESC);
  expect(await inTerminal('--help')).toContain(ESC); // the check below could fail
  const noColor = await inTerminal('websocket start --help', { NO_COLOR: '1' });
  expect(noColor).toContain('USAGE');
  expect(noColor).not.toContain(ESC);
});

test("logFormat 'json': every line of primary and workers is one JSON object; workers carry their index", async () => {
  const dir = project({
    'config/websockets.ts': `
import { defineConfig } from '@ody/websocket-server';
export default defineConfig({ port: 0, callbacks: { open: () => { throw new Error('boom "quoted"\\nsecond line'); } }, additional: { workerNum: 2, logLevel: 'info', logFormat: 'json' } });
`,
  });
  await using ody = await startOdy(['websocket', 'start'], dir);
  // The kernel spreads connections over the workers: connect until both have logged a failing onOpen.
  const clients = [];
  const logged = (worker: number) => ody.output().includes(`"worker":${worker},"msg":"onOpen failed`);
  for (let i = 0; i < 40 && !(logged(0) && logged(1)); i++) {
    clients.push(await open(ody.url));
    await until(() => ody.output().split('onOpen failed').length > clients.length, 'the callback error logged', 5000);
  }
  for (const c of clients) c.close();
  await ody.stop();
  const lines = ody.output().trim().split('\n');
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of records) {
    expect(Object.keys(r).filter((k) => k !== 'worker')).toEqual(['time', 'level', 'msg']);
    expect(new Date(String(r.time)).toISOString()).toBe(String(r.time));
  }
  expect(records.find((r) => String(r.msg).startsWith('ody listening on'))?.worker).toBeUndefined(); // the primary
  expect(new Set(records.map((r) => r.worker).filter((w) => w !== undefined))).toEqual(new Set([0, 1]));
  const failure = records.find((r) => String(r.msg).includes('boom'))!;
  expect([failure.level, String(failure.msg).replace(/fd \d+/, 'fd N')]).toEqual(['error', 'onOpen failed (fd N): Error: boom "quoted"\nsecond line']);
});

test('logFormat is validated', async () => {
  const dir = project({ 'config/websockets.ts': `export default { additional: { logFormat: 'xml' } };\n` });
  const { code, stderr } = await runOdy(['websocket', 'start'], dir);
  expect([code, stderr]).toEqual([1, "ody: config additional.logFormat: expected one of 'text', 'json', got 'xml'\n"]);
});
