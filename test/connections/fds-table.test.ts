// Rule: FdsTable behaves like the PHP package's table, and holds rows for 100k+ connections by default (Swoole's default table caps near 1k).
import { expect, test } from 'bun:test';
import { FdsTable } from '../../src/index';

test('set, get (row and field), exists, del and count', () => {
  const table = new FdsTable<{ fd: number; name: string }>();
  table.set(1, { fd: 1, name: 'Client-000001' }).set('2', { fd: 2, name: 'Client-000002' });
  expect([table.get('1'), table.get(2, 'name'), table.get(3), table.get(3, 'name')]).toEqual([
    { fd: 1, name: 'Client-000001' }, 'Client-000002', undefined, undefined,
  ]);
  expect([table.exists(1), table.exists('9'), table.count()]).toEqual([true, false, 2]);
  expect([table.del(1), table.del(1), table.count()]).toEqual([true, false, 1]);
  expect([...table]).toEqual([['2', { fd: 2, name: 'Client-000002' }]]);
});

test('holds far more rows than Swoole\'s ~1k cap', () => {
  const table = new FdsTable();
  for (let fd = 1; fd <= 50_000; fd++) table.set(fd, { fd });
  expect([table.count(), table.get(50_000, 'fd'), [...table.keys()].length]).toEqual([50_000, 50_000, 50_000]);
});
