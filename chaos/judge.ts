// What a chaos run must show: nothing silently lost or duplicated, a clean stop, and memory that came back.
import type { ChaosReport } from './lib';

/** The server's RSS (primary + workers) after the run may exceed what it was before by at most this. */
export const RSS_BOUND_MB = 40;

export function judge(r: ChaosReport): string[] {
  const problems: string[] = [];
  if (r.lost > 0) problems.push(`${r.lost} messages lost without a close`);
  if (r.duplicated > 0) problems.push(`${r.duplicated} messages arrived twice`);
  if (r.delivered === 0) problems.push('nothing was delivered');
  const codes = Object.keys(r.closeCodesAtStop);
  if (codes.some((c) => c !== '1001')) problems.push(`at stop clients saw ${JSON.stringify(r.closeCodesAtStop)}, expected only 1001`);
  if (r.exitCode !== 0) problems.push(`the server exited with ${r.exitCode}`);
  if (r.rssAfterMb > r.rssBeforeMb + RSS_BOUND_MB) problems.push(`RSS grew from ${r.rssBeforeMb.toFixed(1)} to ${r.rssAfterMb.toFixed(1)} MB`);
  return problems;
}
