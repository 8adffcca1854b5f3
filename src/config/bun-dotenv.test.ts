// Rule: what Bun loaded from the cwd's .env files is put back as the process was started: dropped, or the real
// value; without /proc (macOS), a variable equal to its .env value counts as loaded by Bun and goes.
import { afterEach, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropBunDotEnv } from './bun-dotenv';

const NAMES = ['ODY_T_FROM_FILE', 'ODY_T_REAL', 'ODY_T_LOCAL', 'ODY_T_OTHER'];
afterEach(() => NAMES.forEach((name) => delete process.env[name]));

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ody-bun-dotenv-'));
  writeFileSync(join(dir, '.env'), 'ODY_T_FROM_FILE=file\nODY_T_REAL=file\n');
  writeFileSync(join(dir, '.env.local'), 'ODY_T_LOCAL=local\n');
  return dir;
}

test('with the start environment known: variables it lacked are dropped, the ones it had get its value back', () => {
  Object.assign(process.env, { ODY_T_FROM_FILE: 'file', ODY_T_REAL: 'real', ODY_T_LOCAL: 'local', ODY_T_OTHER: 'set by code' });
  dropBunDotEnv(folder(), new Map([['ODY_T_REAL', 'real']]));
  expect(NAMES.map((name) => process.env[name])).toEqual([undefined, 'real', undefined, 'set by code']);
});

test('without it: a variable equal to its .env value is dropped, a different one is real and stays', () => {
  Object.assign(process.env, { ODY_T_FROM_FILE: 'file', ODY_T_REAL: 'real', ODY_T_LOCAL: 'local' });
  dropBunDotEnv(folder(), null);
  expect(NAMES.map((name) => process.env[name])).toEqual([undefined, 'real', undefined, undefined]);
});
