#!/usr/bin/env bun
// The `ody` executable: routes `ody websocket start` (and `websocket:start`), `ody token`, init, build, healthcheck, and turns errors into one line.
import { type CommandDef, defineCommand, runCommand } from 'citty';
import pkg from '../../package.json' with { type: 'json' };
import { dropBunDotEnv } from '../config/bun-dotenv';
import { didYouMean, OdyError, suggest } from '../errors';
import { apps } from './apps';
import { build } from './build';
import { forStream } from './color';
import { healthcheck } from './healthcheck';
import { init } from './init';
import { registerPackageModule } from './package-module';
import { reload } from './reload';
import { start } from './start';
import { STATUS_EXIT_CODES, status } from './status';
import { stop } from './stop';
import { token } from './token';
import { type HelpNotes, helpWidth, renderHelp } from './usage';

const websocket = defineCommand({
  meta: { name: 'websocket', description: 'Run and control the WebSocket server' },
  subCommands: { start, stop, reload, status },
});

export const main = defineCommand({
  meta: { name: 'ody', version: pkg.version, description: 'Bun-native WebSocket application server' },
  subCommands: { websocket, token, init, build, healthcheck, apps },
});

/** `websocket:start` is the same as `websocket start`. */
export function splitColon(argv: string[]): string[] {
  const [first, ...rest] = argv;
  return first && !first.startsWith('-') && first.includes(':') ? [...first.split(':'), ...rest] : argv;
}

type AnyCommand = CommandDef<any>;

const HELP_NOTES: HelpNotes = {
  'websocket status': [{ heading: 'EXIT CODES', rows: STATUS_EXIT_CODES.map(([code, meaning]) => [String(code), meaning]) }],
};

/** Walks positional words down the subcommands; rejects unknown commands and flags with one line. */
function resolveCommand(rawArgs: string[]): { cmd: AnyCommand; path: string[] } {
  let cmd: AnyCommand = main;
  const path: string[] = [];
  for (const word of rawArgs) {
    if (word.startsWith('-')) break;
    const subs = cmd.subCommands as Record<string, AnyCommand> | undefined;
    if (!subs) break;
    const next = subs[word];
    if (!next) throw new OdyError(`unknown command '${[...path, word].join(' ')}'${didYouMean(word, Object.keys(subs))}; run 'ody --help'`, 'E_CLI');
    cmd = next;
    path.push(word);
  }
  return { cmd, path };
}

function assertKnownFlags(rawArgs: string[], cmd: AnyCommand, path: string[]): void {
  const args = (cmd.args ?? {}) as Record<string, { alias?: string | string[]; type?: string }>;
  const known = new Set<string>(['help', 'h']);
  for (const [name, def] of Object.entries(args)) {
    known.add(name);
    for (const alias of [def.alias ?? []].flat()) known.add(alias);
  }
  for (const token of rawArgs) {
    if (token === '--') break;
    const match = /^--?(?:no-)?([^=]+)/.exec(token);
    if (!match || /^-\d/.test(token)) continue;
    const names = token.startsWith('--') ? [match[1]!] : [...match[1]!]; // -dv = -d -v
    for (const name of names) {
      if (!known.has(name)) {
        const shown = token.startsWith('--') ? `--${name}` : `-${name}`;
        const near = suggest(name, Object.keys(args));
        const hint = near ? ` (did you mean '${near.length === 1 ? '-' : '--'}${near}'?)` : '';
        throw new OdyError(`unknown option '${shown}' for 'ody ${path.join(' ')}'${hint}; run 'ody ${path.join(' ')} --help'`, 'E_CLI');
      }
    }
  }
}

export async function run(argv: string[]): Promise<number> {
  const rawArgs = splitColon(argv);
  dropBunDotEnv(); // before anything reads the environment: .env is ody's to load, from --root
  try {
    if (rawArgs[0] === '--version' || rawArgs[0] === '-v') {
      console.log(pkg.version);
      return 0;
    }
    const { cmd, path } = resolveCommand(rawArgs);
    if (rawArgs.includes('--help') || rawArgs.includes('-h') || (!cmd.run && cmd.subCommands)) {
      process.stdout.write(forStream(renderHelp(main, path, HELP_NOTES, helpWidth(process.stdout)), process.stdout));
      return rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h') ? 0 : 1;
    }
    assertKnownFlags(rawArgs.slice(path.length), cmd, path);
    registerPackageModule();
    await runCommand(main, { rawArgs });
    return 0;
  } catch (error) {
    // A daemon child reports its startup failure to the `start -d` that launched it.
    if (process.env.ODY_DAEMON && process.send) process.send({ t: 'fatal', error: error instanceof Error ? error.message : String(error) });
    const message = error instanceof OdyError ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    process.stderr.write(forStream(`ody: ${message}\n`, process.stderr));
    return error instanceof OdyError && error.code === 'E_CLI' ? 2 : 1;
  }
}

if (import.meta.main) {
  const code = await run(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
