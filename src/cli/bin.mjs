#!/usr/bin/env node
// The package's `ody` command (npx ody, bunx ody, node_modules/.bin/ody). ody runs on Bun: under Bun this runs the CLI
// in-process; under Node it finds Bun (the project's `bun` package, this package's, or PATH) and hands over to it.
// Plain JavaScript for Node, so it has no build step.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
const args = process.argv.slice(2);

/** Bun's binary from the `bun` npm package as seen from `from`, or from PATH. */
function findBun() {
  for (const from of [join(process.cwd(), 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      const pkg = createRequire(from).resolve('bun/package.json');
      const exe = join(dirname(pkg), 'bin', 'bun.exe'); // the npm package names it bun.exe on every platform
      if (existsSync(exe)) return exe;
    } catch {}
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'bun'))) return join(dir, 'bun');
  }
  return undefined;
}

if (process.versions.bun) {
  const { run } = await import(main);
  const code = await run(args);
  if (code !== 0) process.exit(code);
} else {
  const bun = findBun();
  if (!bun) {
    process.stderr.write('ody: ody runs on Bun, which was not found: add it to this project (npm install --save-dev bun), or use the ody binary (see the README, "Install")\n');
    process.exit(1);
  }
  // Bun must not load .env itself: ody reads <root>/.env and tells its variables from the real environment's.
  const child = spawn(bun, ['--no-env-file', main, ...args], { stdio: 'inherit' });
  // Signals sent to this process alone (kill, systemd's main pid) reach ody; a terminal's reach both, and ody decides.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    process.removeAllListeners(signal); // end as ody did: by the same signal
    process.kill(process.pid, signal);
  });
}
