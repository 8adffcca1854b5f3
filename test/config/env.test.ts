// Rule: env() coerces to the default's type, .env fills only what the real environment leaves unset.
import { afterEach, expect, test } from 'bun:test';
import { env, loadConfig } from '../../src/index';
import { applyDotEnv, loadDotEnv, parseDotEnv } from '../../src/config/env';
import { registerPackageModule } from '../../src/cli/package-module';
import { project } from '../helpers/binary';

const touched = ['ODY_T_NUM', 'ODY_T_BOOL', 'ODY_T_STR', 'ODY_T_FROM_FILE', 'ODY_T_BOTH', 'WEBSOCKET_PORT', 'WEBSOCKET_HOST'];
afterEach(() => {
  for (const k of touched) delete process.env[k];
});

test('env() returns the default when unset or empty, and coerces to its type', () => {
  expect([env('ODY_T_NUM', 5), env('ODY_T_STR', 'x'), env('ODY_T_BOOL', false)]).toEqual([5, 'x', false]);
  process.env.ODY_T_NUM = '9600';
  process.env.ODY_T_BOOL = 'yes';
  process.env.ODY_T_STR = '';
  expect([env('ODY_T_NUM', 5), env('ODY_T_BOOL', false), env('ODY_T_STR', 'x')]).toEqual([9600, true, 'x']);
  process.env.ODY_T_NUM = 'lots';
  expect(Number.isNaN(env('ODY_T_NUM', 5))).toBe(true); // validation reports it, naming the variable
});

test('.env parsing: quotes, export, comments, blank lines', () => {
  const parsed = parseDotEnv(`# comment\nA=1\nexport B="two words"\nC='single # not comment'\nD=plain # trailing\n\nE=\n`);
  expect(Object.fromEntries(parsed)).toEqual({ A: '1', B: 'two words', C: 'single # not comment', D: 'plain', E: '' });
});

test('.env never overrides the real environment', () => {
  const dir = project({ '.env': 'ODY_T_FROM_FILE=file\nODY_T_BOTH=file\n' });
  process.env.ODY_T_BOTH = 'real';
  expect(loadDotEnv(dir)).toEqual(['ODY_T_FROM_FILE']);
  expect([process.env.ODY_T_FROM_FILE, process.env.ODY_T_BOTH]).toEqual(['file', 'real']);
});

test('a later .env (reload) replaces what an earlier one set and drops what it lost; the real environment still wins; undo restores', () => {
  process.env.ODY_T_BOTH = 'real';
  const read = () => [process.env.ODY_T_FROM_FILE, process.env.ODY_T_STR, process.env.ODY_T_BOTH];
  applyDotEnv(new Map([['ODY_T_FROM_FILE', 'one'], ['ODY_T_STR', 'dropped later'], ['ODY_T_BOTH', 'file']]));
  expect(read()).toEqual(['one', 'dropped later', 'real']);
  const undo = applyDotEnv(new Map([['ODY_T_FROM_FILE', 'two'], ['ODY_T_BOTH', 'file again']]));
  expect(read()).toEqual(['two', undefined, 'real']);
  undo();
  expect(read()).toEqual(['one', 'dropped later', 'real']);
  applyDotEnv(new Map()); // leaves nothing of its own behind for the next test
  expect(read()).toEqual([undefined, undefined, 'real']);
});

test('loadConfig applies .env, then config, then CLI flags, and fills every default', async () => {
  registerPackageModule();
  const dir = project({
    '.env': 'WEBSOCKET_PORT=9700\n',
    'config/websockets.ts': `import { defineConfig, env } from '@ody/websocket-server';\nexport default defineConfig({ port: env('WEBSOCKET_PORT', 9502), additional: { logLevel: 'info' } });\n`,
  });
  const fromFile = await loadConfig({ root: dir });
  expect([fromFile.port, fromFile.host, fromFile.additional.logLevel, fromFile.additional.maxPayloadLength, fromFile.additional.pidFile]).toEqual([
    9700, '127.0.0.1', 'info', 1024 * 1024, `${dir}/storage/ody_websockets.pid`,
  ]);
  const overridden = await loadConfig({ root: dir, port: '9800', host: '::1' });
  expect([overridden.port, overridden.host]).toEqual([9800, '::1']);
});
