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
    console.log(`${cd ? `  cd ${cd}\n` : ''}  ody websocket start        # run it: ws://127.0.0.1:9502\n  BUN_BE_BUN=1 ody test      # test it: starts it on a free port and talks to it (or: bun test)`);
  },
});
