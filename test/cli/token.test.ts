// Rule: `ody token` prints a token signed with the project's secret (from .env or config) and never prints the secret.
import { beforeAll, expect, test } from 'bun:test';
import { verifyToken } from '../../src/index';
import { ensureBinary, project, runOdy } from '../helpers/binary';

beforeAll(() => void ensureBinary(), 120_000);

const SECRET = 'cli-token-secret-0123456789';

test('prints only a token that verifies with the .env secret and carries the payload and lifetime', async () => {
  const dir = project({ '.env': `WEBSOCKET_SECRET_KEY=${SECRET}\n` });
  const before = Math.floor(Date.now() / 1000);
  const { code, stdout, stderr } = await runOdy(['token', '--payload', '{"sub":"ada"}', '--expires-in', '2h'], dir);
  expect({ code, stderr, lines: stdout.trim().split('\n').length }).toEqual({ code: 0, stderr: '', lines: 1 });
  const check = verifyToken(stdout.trim(), SECRET);
  expect(check).toEqual({ ok: true, payload: { sub: 'ada', exp: expect.any(Number) } });
  const exp = check.ok ? check.payload.exp : 0;
  expect(exp - before >= 7200 && exp - before <= 7201).toBe(true);
  expect(stdout + stderr).not.toContain(SECRET);
});

test('uses the secretKey of config/websockets.ts with --root', async () => {
  const dir = project({ 'config/websockets.ts': `export default { secretKey: '${SECRET}-from-config' };\n` });
  const { code, stdout } = await runOdy(['token', '--root', dir], '/');
  expect(code).toBe(0);
  expect(verifyToken(stdout.trim(), `${SECRET}-from-config`).ok).toBe(true);
});

test('warns on stderr when signing with the default development secret', async () => {
  const { code, stderr } = await runOdy(['token'], project({}));
  expect([code, stderr]).toEqual([0, 'ody: warning: signed with the default development secret; set WEBSOCKET_SECRET_KEY for real use\n']);
});

test('a bad --expires-in or --payload is one line and exit 2', async () => {
  const dir = project({});
  const badTime = await runOdy(['token', '--expires-in', 'soon'], dir);
  const badJson = await runOdy(['token', '--payload', '[1]'], dir);
  expect([badTime.code, badTime.stderr]).toEqual([2, "ody: --expires-in: expected a duration like 90s, 15m, 2h or 7d, got 'soon'\n"]);
  expect([badJson.code, badJson.stderr]).toEqual([2, `ody: --payload: expected a JSON object, e.g. '{"sub":"user-42"}'\n`]);
});
