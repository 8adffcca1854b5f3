// Compiles the ody CLI into one self-contained executable: dist/ody (or --outfile, --target for other platforms).
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/ody' }, target: { type: 'string' } } });

const result = await Bun.build({
  entrypoints: ['src/cli/main.ts'],
  // No .env autoload by Bun: ody loads <root>/.env itself and must know which variables came from it (reload replaces those).
  compile: { outfile: values.outfile!, autoloadDotenv: false, ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}) },
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  bytecode: true,
  // The user's config must see ody's own copy: keep the package's self-import out of the bundle graph.
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${values.outfile}`);
