// `--help` text as git, cargo and bun write it: the full command first, then what it does, its options wrapped to the
// terminal's width (the description column indented under itself), and notes such as exit codes.
import type { ArgDef, CommandDef } from 'citty';

type AnyCommand = CommandDef<any>;
/** Sections shown after the options, per command path ('websocket status'): a heading and two-column rows. */
export type HelpNotes = Record<string, { heading: string; rows: [string, string][] }[]>;

const bold = (s: string) => `\x1b[1m${s}\x1b[22m`;
const cyan = (s: string) => `\x1b[36m${s}\x1b[39m`;

/** Columns to wrap at: the terminal's, else $COLUMNS, else 80; kept readable on very narrow or wide screens. */
export function helpWidth(stream: { columns?: number }): number {
  const columns = stream.columns || Number(process.env.COLUMNS) || 80;
  return Math.min(Math.max(columns, 40), 120);
}

/** Words of `text` in lines of at most `width` columns (a longer word stands alone), lines after the first indented. */
export function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Two columns: names padded to the widest (capped, so one long name cannot push every description right). */
function table(rows: [string, string][], width: number): string[] {
  const left = Math.min(Math.max(...rows.map(([name]) => name.length)), 28);
  return rows.map(([name, text]) => {
    const pad = 2 + left + 3;
    const head = name.length > left ? `  ${name}\n${' '.repeat(pad)}` : `  ${name.padEnd(left)}   `;
    return `${cyan(head)}${wrap(text, Math.max(width - pad, 20), pad)}`;
  });
}

function optionName(name: string, def: ArgDef): string {
  const aliases = [(def as { alias?: string | string[] }).alias ?? []].flat().map((a) => (a.length === 1 ? `-${a}` : `--${a}`));
  const value = def.type === 'boolean' ? '' : ` <${(def as { valueHint?: string }).valueHint ?? name}>`;
  return [...aliases, `--${name}${value}`].join(', ');
}

/** The help of the command at `path` under `root` (whose meta names the program). */
export function renderHelp(root: AnyCommand, path: string[], notes: HelpNotes, width: number): string {
  let cmd = root;
  for (const word of path) cmd = (cmd.subCommands as Record<string, AnyCommand>)[word]!;
  const meta = cmd.meta as { name?: string; description?: string; version?: string };
  const rootMeta = root.meta as { name: string; version?: string };
  const full = [rootMeta.name, ...path].join(' ');
  const args = Object.entries((cmd.args ?? {}) as Record<string, ArgDef>);
  const positionals = args.filter(([, def]) => def.type === 'positional');
  const options = args.filter(([, def]) => def.type !== 'positional');
  const subs = Object.entries((cmd.subCommands ?? {}) as Record<string, AnyCommand>);

  const usage = [full, subs.length ? '<command>' : '', ...positionals.map(([name, def]) => (def.required === false ? `[${name}]` : `<${name}>`)), '[OPTIONS]'].filter(Boolean).join(' ');
  const out = [`${bold('USAGE')} ${usage}`, '', wrap(`${meta.description ?? ''}${path.length === 0 && rootMeta.version ? ` (version ${rootMeta.version})` : ''}`, width, 0)];
  if (subs.length) {
    out.push('', bold('COMMANDS'), ...table(subs.map(([name, sub]) => [name, (sub.meta as { description?: string }).description ?? '']), width));
  }
  if (positionals.length) out.push('', bold('ARGUMENTS'), ...table(positionals.map(([name, def]) => [name, def.description ?? '']), width));
  const rows: [string, string][] = options.map(([name, def]) => [optionName(name, def), def.description ?? '']);
  rows.push(['-h, --help', 'Show this help']);
  if (path.length === 0) rows.push(['-v, --version', 'Print the version']);
  out.push('', bold('OPTIONS'), ...table(rows, width));
  for (const note of notes[path.join(' ')] ?? []) out.push('', bold(note.heading), ...table(note.rows, width));
  if (subs.length) out.push('', `Run '${full} <command> --help' for more about a command.`);
  return `${out.join('\n')}\n`;
}
