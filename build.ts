// Compiles the ody CLI into one self-contained executable: dist/ody (or --outfile, --target for other platforms).
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outfile: { type: 'string', default: 'dist/ody' }, target: { type: 'string' } } });

function fail(logs: unknown[]): never {
  for (const log of logs) console.error(log);
  process.exit(1);
}

// pusher-js's browser build, served by the built-in Server's presence demo (GET /presence/pusher.js).
// Its licence (MIT) travels with the copy, as a leading comment.
const pusherJsText = `/*\n${await Bun.file('node_modules/pusher-js/LICENCE').text()}*/\n${await Bun.file('node_modules/pusher-js/dist/web/pusher.min.js').text()}`;
const embedPusherJs: Bun.BunPlugin = {
  name: 'embed-pusher-js',
  setup(build) {
    build.onLoad({ filter: /src\/server\/pusher-js-bundle\.ts$/ }, () => ({ contents: `export const pusherJsBundle = ${JSON.stringify(pusherJsText)};`, loader: 'js' }));
  },
};

// ody's runtime as one JavaScript file: `ody build` in the binary compiles apps from it (the binary has no source tree).
const runtime = await Bun.build({ entrypoints: ['src/cli/runtime.ts'], target: 'bun', format: 'esm', plugins: [embedPusherJs] });
if (!runtime.success) fail(runtime.logs);
const runtimeText = await runtime.outputs[0]!.text();

const result = await Bun.build({
  entrypoints: ['src/cli/main.ts'],
  // No .env autoload by Bun: ody loads <root>/.env itself and must know which variables came from it (reload replaces those).
  compile: { outfile: values.outfile!, autoloadDotenv: false, ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}) },
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  bytecode: true,
  plugins: [
    embedPusherJs,
    {
      name: 'embed-runtime',
      setup(build) {
        build.onLoad({ filter: /src\/cli\/runtime-bundle\.ts$/ }, () => ({ contents: `export const runtimeBundle = ${JSON.stringify(runtimeText)};`, loader: 'js' }));
      },
    },
  ],
  // The user's config must see ody's own copy: keep the package's self-import out of the bundle graph.
});
if (!result.success) fail(result.logs);
// The README's one way to put it on the PATH (src/cli/init.ts says the same).
console.log(`built ${values.outfile}${values.target ? '' : `; to have \`ody\` on your PATH: install -Dm755 ${values.outfile} ~/.local/bin/ody`}`);
