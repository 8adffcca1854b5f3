// The README's performance table, regenerated from a saved run: the block between the bench markers is replaced.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Verdict } from './report';

const START = '<!-- bench:start (written by bun run bench from docs/bench/results.json; do not edit) -->';
const END = '<!-- bench:end -->';

function cell(v: Verdict): string {
  return v.value === null ? 'n/a' : `${v.value.toFixed(2)}x`;
}

/** A markdown table of every target of the run, with the machine and date it ran on. */
export function readmeTable(targets: Verdict[], machine: string): string {
  const target = (v: Verdict) => (v.limit === null || v.limit === undefined ? 'reported' : `${v.op} ${v.limit}x`);
  const rows = targets.map((v) => `| ${v.label} | ${cell(v)} | ${target(v)} | ${v.pass === null ? '' : v.pass ? 'pass' : '**miss**'} |`);
  return [START, '', `Last recorded run${machine.includes('. ') ? 's' : ''}: ${machine}.`, '', '| measure | ody | target | |', '|---|---|---|---|', ...rows, '', END].join('\n');
}

/** Replaces the block in README.md (or appends it under "## Benchmark" the first time). */
export function writeReadmeTable(readmePath: string, targets: Verdict[], machine: string): void {
  const text = readFileSync(readmePath, 'utf8');
  const table = readmeTable(targets, machine);
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  let next: string;
  if (start >= 0 && end > start) next = text.slice(0, start) + table + text.slice(end + END.length);
  else next = text.replace(/## Benchmark\n/, `## Benchmark\n\n${table}\n`);
  writeFileSync(readmePath, next);
}
