// Rule: help follows the conventions of git, cargo and bun: `ody <command> --help` starts with the full command,
// wraps to the terminal's width, the main help lists --version, hints name options as typed (--port), and
// `status --help` lists the exit codes status really uses.
import { beforeAll, expect, test } from 'bun:test';
import { bareEnv, ensureBinary, project, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

test('a command\'s help starts with the full command', async () => {
  const dir = project({});
  for (const path of [['websocket', 'start'], ['websocket', 'status'], ['build'], ['init']]) {
    const { code, stdout } = await runOdy([...path, '--help'], dir);
    expect([code, stdout.split('\n')[0]!.startsWith(`USAGE ody ${path.join(' ')} `)]).toEqual([0, true]);
  }
});

test('help wraps to the terminal width ($COLUMNS when not a terminal), no line wider', async () => {
  const dir = project({});
  for (const columns of ['60', '100']) {
    const { stdout } = await runOdy(['build', '--help'], dir, bareEnv({ COLUMNS: columns }));
    const widest = Math.max(...stdout.split('\n').map((line) => line.length));
    expect(widest).toBeLessThanOrEqual(Number(columns));
    expect(stdout).toContain('--target <target>');
  }
});

test('the main help lists --help and --version', async () => {
  const { stdout } = await runOdy(['--help'], project({}));
  expect(stdout).toMatch(/^ {2}-v, --version +Print the version$/m);
  expect(stdout).toMatch(/^ {2}-h, --help +Show this help$/m);
});

test('an unknown option suggests the option with its dashes', async () => {
  const { code, stderr } = await runOdy(['websocket', 'start', '--prot', '1'], project({}));
  expect([code, stderr]).toEqual([2, "ody: unknown option '--prot' for 'ody websocket start' (did you mean '--port'?); run 'ody websocket start --help'\n"]);
});

test('status --help documents its exit codes, and status exits 3 when nothing runs', async () => {
  const dir = project({});
  const { stdout } = await runOdy(['websocket', 'status', '--help'], dir);
  const section = stdout.slice(stdout.indexOf('EXIT CODES'));
  expect(section.match(/^ {2}\d/gm)).toEqual(['  0', '  1', '  2', '  3']);
  expect(section).toMatch(/^ {2}3 +no server is running/m);
  expect((await runOdy(['websocket', 'status'], dir)).code).toBe(3);
});
