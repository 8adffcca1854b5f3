// What docs/bench/results.json holds, and how a run of some scenarios (--only) is merged into the saved one.
import { readFileSync } from 'node:fs';
import { type Machine, machineLine } from './machine';
import type { Verdict } from './report';

/** A target's verdict with the run it comes from: the machine line (machine and date) of that run. */
export type SavedTarget = Verdict & { recorded?: string };
export type Saved = { machine: Machine; settings: Record<string, unknown>; targets: SavedTarget[]; ratios: Record<string, unknown>; scenarios: Record<string, unknown> };

/** This run's verdicts; only the targets of scenarios that ran say which run they come from. */
export function stamp(targets: Verdict[], ran: Set<string>, m: Machine): SavedTarget[] {
  return targets.map((t) => (ran.has(t.scenario) ? { ...t, recorded: machineLine(m) } : t));
}

/** The saved results with this run's scenarios and targets replaced; the rest stay as recorded (with their run). */
export function mergeSaved(path: string, now: Saved, ran: Set<string>): Saved {
  let old: Saved;
  try {
    old = JSON.parse(readFileSync(path, 'utf8')) as Saved;
  } catch {
    return now;
  }
  // Results saved before runs were stamped come from the run the file describes.
  const oldTargets = new Map(old.targets.map((t) => [t.label, { ...t, recorded: t.recorded ?? (t.value === null ? undefined : machineLine(old.machine)) }]));
  const targets = now.targets.map((t) => (ran.has(t.scenario) ? t : (oldTargets.get(t.label) ?? t)));
  const keep = <T,>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).filter(([id]) => !ran.has(id)));
  return {
    ...now,
    settings: { ...now.settings, kept_from: { machine: machineLine(old.machine), scenarios: Object.keys(keep(old.scenarios)) } },
    targets,
    ratios: { ...keep(old.ratios), ...now.ratios },
    scenarios: { ...keep(old.scenarios), ...now.scenarios },
  };
}

/** The machine line of the run, or with targets from several runs, which scenarios ran on which machine and when. */
export function recordedLine(targets: SavedTarget[], line: string): string {
  const runs = new Map<string, Set<string>>();
  for (const t of targets) if (t.recorded) (runs.get(t.recorded) ?? runs.set(t.recorded, new Set()).get(t.recorded)!).add(t.scenario);
  if (runs.size <= 1) return line;
  return [...runs].map(([run, ids]) => `${[...ids].join(', ')}: ${run}`).join('. ');
}
