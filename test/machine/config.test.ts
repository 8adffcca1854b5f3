// Rule: additional.table is checked like every other key: a wrong size is one clear line naming the key; omitted keys keep their defaults.
import { expect, test } from 'bun:test';
import { resolveConfig } from '../../src/config/validate';

const resolve = (table: unknown) => resolveConfig({ additional: { table } }, '/tmp', null).additional.table;

test('additional.table: defaults, partial settings, and clear errors', () => {
  expect(resolve(undefined)).toEqual({ connections: 131072, rows: 131072, rowBytes: 128 });
  expect(resolve({ rows: 10 })).toEqual({ connections: 131072, rows: 10, rowBytes: 128 });
  expect(resolve({ connections: 0 })).toEqual({ connections: 0, rows: 131072, rowBytes: 128 });
  expect(() => resolve({ connections: 1000 })).toThrow('config additional.table.connections: expected 0 (off) or a power of two from 64 to 16777216, got 1000');
  expect(() => resolve({ rowBytes: 8 })).toThrow('config additional.table.rowBytes: expected a whole number from 16 to 65536, got 8');
  expect(() => resolve({ size: 1 })).toThrow('config additional.table.size: unknown key');
  expect(() => resolve(5)).toThrow('config additional.table: expected an object, got 5');
});
