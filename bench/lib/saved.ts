// What docs/bench/results.json holds, and how a run of some scenarios (--only) is merged into the saved one.
import { readFileSync } from 'node:fs';
import type { Machine } from './machine';
import type { Verdict } from './report';

export type Saved = { machine: Machine; settings: Record<string, unknown>; targets: (Verdict & { recorded?: string })[]; ratios: Record<string, unknown>; scenarios: Record<string, unknown> };

/** The saved results with this run's scenarios and targets replaced; the rest stay as recorded (with their date). */
export function mergeSaved(path: string, now: Saved, ran: Set<string>): Saved {
  let old: Saved;
  try {
    old = JSON.parse(readFileSync(path, 'utf8')) as Saved;
  } catch {
    return now;
  }
  const oldTargets = new Map(old.targets.map((t) => [t.label, { ...t, recorded: t.recorded ?? old.machine.date }]));
  const targets = now.targets.map((t) => (ran.has(t.scenario) ? t : (oldTargets.get(t.label) ?? t)));
  const keep = <T,>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).filter(([id]) => !ran.has(id)));
  return {
    ...now,
    settings: { ...now.settings, kept_from: { date: old.machine.date, scenarios: Object.keys(keep(old.scenarios)) } },
    targets,
    ratios: { ...keep(old.ratios), ...now.ratios },
    scenarios: { ...keep(old.scenarios), ...now.scenarios },
  };
}

/** "<machine>; <date>" for one run; with targets from several runs, which scenarios ran when. */
export function recordedLine(targets: Saved['targets'], line: string): string {
  const dates = new Map<string, Set<string>>();
  for (const t of targets) if (t.recorded) (dates.get(t.recorded.slice(0, 16)) ?? dates.set(t.recorded.slice(0, 16), new Set()).get(t.recorded.slice(0, 16))!).add(t.scenario);
  if (dates.size <= 1) return line;
  const machineOnly = line.replace(/; \d{4}-\d\d-\d\d \d\d:\d\d UTC$/, '');
  const runs = [...dates].sort(([a], [b]) => a.localeCompare(b)).map(([d, ids]) => `${[...ids].join(', ')}: ${d.replace('T', ' ')} UTC`);
  return `${machineOnly}; runs: ${runs.join('; ')}`;
}

