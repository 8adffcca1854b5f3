// Config checks shared by every section: small predicates and the one way to fail, naming the key and its source.
import { didYouMean, OdyError } from '../errors';
import { envSourceOf } from './env';

/** Where a value came from when not the config file itself: CLI flags name themselves here. */
export type Sources = Record<string, string>;

export type Check = (value: unknown) => string | undefined; // returns "expected ..." or undefined when fine

export const isInt = (min: number, max: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `expected a whole number from ${min} to ${max}`;
export const isBool: Check = (v) => (typeof v === 'boolean' ? undefined : 'expected true or false');
export const isString: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'expected a non-empty string');
export const isOneOf = (options: readonly string[]): Check => (v) =>
  typeof v === 'string' && options.includes(v) ? undefined : `expected one of ${options.map((o) => `'${o}'`).join(', ')}`;

export function fail(key: string, value: unknown, expected: string, sources: Sources): never {
  const source = sources[key] ?? envSourceOf(value);
  const from = source ? ` (from ${source})` : '';
  throw new OdyError(`config ${key}: ${expected}, got ${show(value)}${from}`, 'E_CONFIG');
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'a value that is not a number';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

export function assertObject(key: string, value: unknown, sources: Sources): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(key, value, 'expected an object', sources);
}

export function rejectUnknown(prefix: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      const name = prefix ? `${prefix}.${key}` : key;
      throw new OdyError(`config ${name}: unknown key${didYouMean(key, known)}; known keys: ${known.join(', ')}`, 'E_CONFIG');
    }
  }
}
