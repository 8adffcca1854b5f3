// env(): read a setting from the process environment or the project's .env, coerced to the default's type.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every env() read that found a value, so validation can name the variable a bad value came from. */
const reads: { name: string; raw: string; value: unknown }[] = [];

/**
 * Reads `name` from the environment; when unset (or empty) returns `fallback`.
 * The raw string is coerced to the fallback's type: numbers via Number() (NaN when not numeric,
 * which validation reports with the variable's name), booleans from true/false/1/0/yes/no/on/off.
 */
export function env<T extends string | number | boolean | undefined>(name: string, fallback: T): T extends number ? number : T extends boolean ? boolean : string {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback as never;
  let value: unknown = raw;
  if (typeof fallback === 'number') value = raw.trim() === '' ? Number.NaN : Number(raw);
  else if (typeof fallback === 'boolean') value = parseBoolean(raw) ?? raw;
  reads.push({ name, raw, value });
  return value as never;
}

function parseBoolean(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return undefined;
}

/** The env var a config value came from, when exactly one env() read produced it. */
export function envSourceOf(value: unknown): string | undefined {
  const hits = reads.filter((r) => Object.is(r.value, value));
  return hits.length === 1 ? hits[0]!.name : undefined;
}

export function resetEnvReads(): void {
  reads.length = 0;
}

/**
 * Variables that came from .env rather than the real environment, so a reload's fresh .env may replace or
 * drop them while real variables still win. Child processes (workers, the daemon) inherit process.env with
 * .env already applied, so the names travel to them in ODY_DOTENV_KEYS.
 */
let fromDotEnv = new Set((process.env.ODY_DOTENV_KEYS ?? '').split(',').filter(Boolean));

/** `<root>/.env` parsed (empty when there is none). */
export function readDotEnv(root: string): Map<string, string> {
  const file = join(root, '.env');
  return existsSync(file) ? parseDotEnv(readFileSync(file, 'utf8')) : new Map();
}

/**
 * Puts a parsed .env into process.env: sets its variables unless the real environment has them, and unsets
 * those an earlier .env set that this one no longer has. Returns a function that undoes exactly that.
 */
export function applyDotEnv(values: Map<string, string>): () => void {
  const before = new Map<string, string | undefined>();
  const trackedBefore = new Set(fromDotEnv);
  const set = (key: string, value: string | undefined) => {
    if (!before.has(key)) before.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  for (const key of trackedBefore) {
    if (values.has(key)) continue;
    set(key, undefined);
    fromDotEnv.delete(key);
  }
  for (const [key, value] of values) {
    if (process.env[key] !== undefined && !fromDotEnv.has(key)) continue; // the real environment wins
    set(key, value);
    fromDotEnv.add(key);
  }
  set('ODY_DOTENV_KEYS', [...fromDotEnv].join(','));
  return () => {
    for (const [key, value] of before) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    fromDotEnv = trackedBefore;
  };
}

/**
 * Loads `<root>/.env` into process.env without overriding variables from the real environment,
 * as with every dotenv tool users know; returns the names it set.
 */
export function loadDotEnv(root: string): string[] {
  const values = readDotEnv(root);
  applyDotEnv(values);
  return [...values.keys()].filter((key) => fromDotEnv.has(key));
}

export function parseDotEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else {
      value = value.replace(/\s+#.*$/, ''); // trailing comment on an unquoted value
    }
    out.set(match[1]!, value);
  }
  return out;
}
