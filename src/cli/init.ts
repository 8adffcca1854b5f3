// `ody init [dir]`: writes a working project (config, a controller, a test, .env.example, Dockerfile, systemd unit); never overwrites.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { OdyError } from '../errors';
import dockerignore from '../../.dockerignore' with { type: 'text' };
import dockerfile from '../../Dockerfile' with { type: 'text' };
import envExample from '../../.env.example' with { type: 'text' };
import testFile from './templates/app.test.ts.tpl' with { type: 'text' };
import config from './templates/config.ts.tpl' with { type: 'text' };
import controller from './templates/controller.ts.tpl' with { type: 'text' };
import gitignore from './templates/gitignore.tpl' with { type: 'text' };
import systemd from './templates/ody.service.tpl' with { type: 'text' };

/** The project's files; the Dockerfile, .dockerignore and .env.example are the very ones in ody's own repository. */
export function projectFiles(name: string): Record<string, string> {
  return {
    'config/websockets.ts': config,
    'app/AppController.ts': controller,
    'test/app.test.ts': testFile,
    '.env.example': envExample,
    Dockerfile: dockerfile,
    '.dockerignore': dockerignore,
    'deploy/ody.service': systemd.replaceAll('__NAME__', name),
    '.gitignore': gitignore,
  };
}

/** The README's one way to put the binary on the PATH (~/.local/bin is on it in most distributions' login shells). */
export const installLine = (binary: string) => `install -Dm755 ${binary} ~/.local/bin/ody`;

/**
 * How the next commands are typed: `ody` when it is on the PATH (npx and bunx put the project's node_modules/.bin
 * there, which a later shell does not have); else the compiled binary gets the install line, and the package the
 * runner it was started with (both set npm_config_user_agent). The binary runs tests as Bun with BUN_BE_BUN=1.
 */
function howToRun(): { ody: string; test: string; install?: string } {
  const compiled = Bun.main.startsWith('/$bunfs/');
  const found = Bun.which('ody');
  if (compiled) return { ody: 'ody', test: 'BUN_BE_BUN=1 ody test', install: found && !found.includes('/node_modules/.bin/') ? undefined : installLine(process.execPath) };
  return process.env.npm_config_user_agent?.startsWith('npm/') ? { ody: 'npx ody', test: 'npx bun test' } : { ody: 'bunx ody', test: 'bun test' };
}

export const init = defineCommand({
  meta: { name: 'init', description: 'Create a project: config, a controller, a test, .env.example, Dockerfile and systemd unit' },
  args: { dir: { type: 'positional', required: false, description: 'Folder to create the project in (default: current directory)' } },
  run({ args }) {
    const dir = resolve(args.dir ?? '.');
    const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]/g, '') || 'app';
    const files = projectFiles(name);
    // Check everything first: a refused init writes nothing.
    const taken = Object.keys(files).filter((file) => existsSync(join(dir, file)));
    if (taken.length > 0) throw new OdyError(`${join(dir, taken[0]!)} already exists; ody init writes new projects only and changed nothing`, 'E_INIT');
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    const cd = relative(process.cwd(), dir);
    console.log(`created ${Object.keys(files).join(', ')} in ${dir}\n`);
    const { ody, test, install } = howToRun();
    if (install) console.log(`ody is not on your PATH yet; to install it: ${install}\n`);
    const run = `${ody} websocket start`;
    const width = Math.max(run.length, test.length) + 2;
    console.log(`${cd ? `  cd ${cd}\n` : ''}  ${run.padEnd(width)} # run it: ws://127.0.0.1:9502\n  ${test.padEnd(width)} # test it: starts it on a free port and talks to it`);
  },
});
