// Undoes Bun's own .env loading. `bun src/cli/main.ts` and the package bin (shebang `bun`) put the cwd's .env files into
// process.env before ody runs; ody would then take those values for the real environment, which wins over .env, and a
// reload could never replace them. ody reads <root>/.env itself (env.ts) and must start from the real environment.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDotEnv } from './env';

/** The files Bun loads from the working directory unless run with --no-env-file (any NODE_ENV). */
const BUN_FILES = ['.env', '.env.development', '.env.production', '.env.test', '.env.local', '.env.development.local', '.env.production.local', '.env.test.local'];

/** The environment this process was started with: Linux keeps it in /proc, untouched by what Bun loads later. */
function startEnvironment(): Map<string, string> | null {
  try {
    const out = new Map<string, string>();
    for (const entry of readFileSync('/proc/self/environ', 'utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) out.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * Puts every variable Bun took from a .env file in `cwd` back as the real environment had it: removed, or its own
 * value. Where /proc is missing (macOS), a variable whose value equals what a .env file says counts as loaded by
 * Bun; a real variable set to exactly the .env file's value then follows .env on reload.
 */
export function dropBunDotEnv(cwd = process.cwd(), real: Map<string, string> | null = startEnvironment()): void {
  const files = BUN_FILES.map((name) => join(cwd, name)).filter((file) => existsSync(file));
  if (files.length === 0) return;
  for (const file of files) {
    let values: Map<string, string>;
    try {
      values = parseDotEnv(readFileSync(file, 'utf8'));
    } catch {
      continue; // unreadable: Bun could not have loaded it either
    }
    for (const [name, value] of values) {
      if (real) {
        if (real.has(name)) process.env[name] = real.get(name);
        else delete process.env[name];
      } else if (process.env[name] === value) delete process.env[name];
    }
  }
}
