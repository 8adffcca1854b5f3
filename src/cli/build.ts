// `ody build`: the project's config and controllers compiled with ody into one executable; --image stages a container image.
import { basename, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { findConfigFile } from '../config/load';
import { OdyError } from '../errors';
import { compileApp, hostTarget, parseTarget, TARGETS } from './compile';
import { stageImage } from './image';
import { projectArgs } from './start';

/** The folder the Dockerfile copies from. */
export const IMAGE_DIR = '.image';

/** What to do with a fresh binary: run it here, or, built for another platform, there (musl needs a musl system). */
export function nextStep(outfile: string, target?: string, host = hostTarget()): string {
  if (!target || (target.startsWith(host) && !target.includes('musl'))) return `run it with \`${outfile} websocket start\``;
  return `copy it to a ${target} machine and run \`./${basename(outfile)} websocket start\` there`;
}

export const build = defineCommand({
  meta: { name: 'build', description: 'Compile this project (config, controllers, their imports) with ody into one executable' },
  args: {
    outfile: { type: 'string', description: 'Executable to write (default: dist/<project folder name>)' },
    target: { type: 'string', description: `Platform to build for: ${TARGETS.join(', ')} (default: this machine)` },
    image: { type: 'boolean', description: `Also stage ${IMAGE_DIR}/ for the Dockerfile: the binary, the C libraries it links, a non-root user` },
    ...projectArgs,
  },
  async run({ args }) {
    const root = resolve(args.root ?? process.cwd());
    const target = args.target ? parseTarget(args.target) : undefined;
    // The image carries this machine's C libraries, which only fit a binary for this machine.
    if (args.image && target && target !== hostTarget()) throw new OdyError(`--image stages this machine's C libraries (${hostTarget()}); build images without --target, on a ${target} machine`, 'E_CLI');
    const configFile = findConfigFile(root, args.config);
    if (!configFile) throw new OdyError(`no config/websockets.ts in ${root}: run ody build in a project (ody init makes one) or pass --root`, 'E_BUILD');
    const name = basename(root).replace(/[^A-Za-z0-9._-]/g, '') || 'app';
    const outfile = resolve(root, args.outfile ?? `dist/${name}`);
    const size = await compileApp({ root, configFile, outfile, target });
    console.log(`built ${outfile} (${(size / 1e6).toFixed(0)} MB, ${target ?? hostTarget()}): ${nextStep(outfile, target)}`);
    if (args.image) {
      const dir = resolve(root, IMAGE_DIR);
      stageImage(outfile, dir);
      console.log(`staged ${dir}: now \`podman build --network=none --format docker -t ${name.toLowerCase()} .\` (or docker build)`);
    }
  },
});
