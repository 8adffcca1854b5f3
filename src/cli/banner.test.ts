// Rule: the start lines name a Redis adapter's address without its password.
import { expect, test } from 'bun:test';
import { resolveConfig } from '../config/validate';
import { startLines } from './banner';

test('a Redis URL with a password is shown masked', () => {
  const config = resolveConfig({ secretKey: 'own-secret-0123456789', adapter: { driver: 'redis', url: 'redis://user:hunter2@10.0.0.5:6379', prefix: 'chat' }, additional: { workerNum: 1 } }, '/tmp', null, {});
  const { info } = startLines(config, 'ws://127.0.0.1:9502');
  expect(info).toEqual(["1 worker, adapter: redis at redis://user:***@10.0.0.5:6379, prefix 'chat'"]);
});
