// Rule: a reload that changes the adapter is refused and named, without printing a Redis password.
import { expect, test } from 'bun:test';
import { resolveConfig } from '../config/validate';
import { restartKeys } from './reload';

test('a changed adapter needs a restart; the password in its URL is not shown', () => {
  const current = resolveConfig({ adapter: { driver: 'redis', url: 'redis://:old-pass@10.0.0.5:6379' } }, '/tmp', null);
  const loaded = resolveConfig({ adapter: { driver: 'redis', url: 'redis://ody:new-pass@10.0.0.6:6379' } }, '/tmp', null);
  const [line, ...rest] = restartKeys(loaded, current);
  expect(rest).toEqual([]);
  expect(line).toStartWith('adapter (');
  expect(line).toContain('10.0.0.6');
  expect(line).not.toContain('old-pass');
  expect(line).not.toContain('new-pass');
});

// Rule: the apps database is opened at start: moving it needs a restart, named without its password.
test('a changed apps database needs a restart; the password in its URL is not shown', () => {
  const current = resolveConfig({ apps: { driver: 'postgres', url: 'postgres://ody:old-pass@10.0.0.5/apps' } }, '/tmp', null);
  const loaded = resolveConfig({ apps: { driver: 'postgres', url: 'postgres://ody:new-pass@10.0.0.6/apps' } }, '/tmp', null);
  const [line, ...rest] = restartKeys(loaded, current);
  expect(rest).toEqual([]);
  expect(line).toStartWith('appsDatabase (');
  expect(line).toContain('10.0.0.6');
  expect(line).not.toContain('old-pass');
  expect(line).not.toContain('new-pass');
});
