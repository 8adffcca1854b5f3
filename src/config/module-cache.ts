// Drops a project's modules from Bun's module cache, so that a reload imports the code as it is on disk now.
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$/;
/** Folders that hold no project code a config imports directly (dependencies, logs, builds). */
const SKIPPED = new Set(['node_modules', '.git', 'storage', 'dist', '.image']);
/** Bounds the walk when --root points at a huge tree; the files a project imports are far fewer. */
const MAX_ENTRIES = 20_000;

/**
 * Forgets every cached module under `root` outside node_modules. Bun lists only modules that loaded: a file
 * whose last load failed (a syntax error) is absent from require.cache's keys yet still answers the next import
 * with the old error unless its path is deleted, so every code file of the project is deleted by name too.
 */
export function forgetProjectModules(root: string): void {
  for (const cached of Object.keys(require.cache)) {
    if (cached.startsWith(root) && !cached.includes('/node_modules/')) delete require.cache[cached];
  }
  let real = root;
  try {
    real = realpathSync(root);
  } catch {}
  for (const file of codeFiles(real)) delete require.cache[file];
}

function codeFiles(root: string): string[] {
  const files: string[] = [];
  const folders = [root];
  let seen = 0;
  while (folders.length > 0 && seen < MAX_ENTRIES) {
    const folder = folders.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      continue; // unreadable or gone: nothing of it can be cached either
    }
    for (const entry of entries) {
      seen++;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) folders.push(path);
      } else if (CODE.test(entry.name)) files.push(path);
    }
  }
  return files;
}
