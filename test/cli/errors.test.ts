// Rule: every startup failure is one line on stderr (no stack) and a non-zero exit.
import { beforeAll, expect, test } from 'bun:test';
import { ensureBinary, project, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const GOOD_CONTROLLER = `export class Ctl { onMessage() {} static onOpen() {} }\n`;

async function failsWith(args: string[], files: Record<string, string>, pattern: RegExp, env?: Record<string, string>) {
  const dir = project(files);
  const { code, stdout, stderr } = await runOdy(args, dir, env ? { PATH: '/usr/bin:/bin', ...env } : undefined);
  const lines = stderr.trim().split('\n');
  expect({ code: code !== 0, lines: lines.length, stdout }).toEqual({ code: true, lines: 1, stdout: '' });
  expect(lines[0]).toMatch(/^ody: /);
  expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

test('port in use', async () => {
  await using other = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('taken') });
  await failsWith(['websocket', 'start', '--port', String(other.port)], {}, new RegExp(`127.0.0.1:${other.port}: address already in use`));
});

test('port out of range or not a number, naming the env var or flag it came from', async () => {
  await failsWith(['websocket', 'start'], { '.env': 'WEBSOCKET_PORT=70000\n' }, /config port: expected a port number from 0 to 65535, got 70000 \(from WEBSOCKET_PORT\)/);
  await failsWith(['websocket', 'start'], {}, /config port: .*got a value that is not a number \(from WEBSOCKET_PORT\)/, { WEBSOCKET_PORT: 'abc' });
  await failsWith(['websocket', 'start', '--port', 'x1'], {}, /config port: .*not a number \(from --port\)/);
});

test('unknown config key, with the near one suggested', async () => {
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default { prot: 9000 };\n` }, /config prot: unknown key \(did you mean 'port'\?\)/);
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default { additional: { workerNumber: 2 } };\n` }, /config additional\.workerNumber: unknown key \(did you mean 'workerNum'\?\)/);
});

test('wrong types are named with what is expected', async () => {
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default { additional: { logLevel: 'loud' } };\n` }, /config additional\.logLevel: expected one of 'debug', 'trace', 'info', 'notice', 'warning', 'error', got 'loud'/);
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default { additional: { sendPings: 'yes' } };\n` }, /config additional\.sendPings: expected true or false/);
});

test('a callback naming a missing method', async () => {
  await failsWith(
    ['websocket', 'start'],
    { 'Ctl.ts': GOOD_CONTROLLER, 'config/websockets.ts': `import { Ctl } from '../Ctl';\nexport default { callbacks: { message: [Ctl, 'onMesage'] } };\n` },
    /config callbacks\.message: Ctl has no method 'onMesage' \(did you mean 'onMessage'\?\)/,
  );
});

test('a config file that throws on import, or does not parse', async () => {
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `throw new Error('database url missing');\n` }, /config .*websockets\.ts failed to load: database url missing/);
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default {{;\n` }, /config .*websockets\.ts failed to load: Expected identifier but found "\{" at .*websockets\.ts:1:17/);
  await failsWith(['websocket', 'start', '--config', 'nope.ts'], {}, /config file not found: .*nope\.ts/);
});

test('unknown command or flag', async () => {
  await failsWith(['websocket', 'strat'], {}, /unknown command 'websocket strat' \(did you mean 'start'\?\)/);
  await failsWith(['websocket:strat'], {}, /unknown command 'websocket strat'/);
  await failsWith(['serve'], {}, /unknown command 'serve'/);
  await failsWith(['websocket', 'start', '--prot', '1'], {}, /unknown option '--prot' for 'ody websocket start' \(did you mean '--port'\?\)/);
});

test('unreadable TLS files', async () => {
  await failsWith(['websocket', 'start'], { 'config/websockets.ts': `export default { ssl: { certFile: 'missing.pem', keyFile: 'key.pem' } };\n` }, /config ssl\.certFile: cannot read .*missing\.pem \(ENOENT\)/);
});

test('the default secret on a non-loopback address refuses to start, saying how to set one', async () => {
  const line = await failsWith(['websocket', 'start', '--host', '0.0.0.0', '--port', '0'], {}, /refusing to bind 0\.0\.0\.0 with the default secret key: set WEBSOCKET_SECRET_KEY/);
  expect(line).not.toContain('123123123');
});
