// Draws docs/bench/results.svg by hand: one bar per target ratio, the target as a line, the machine underneath.
import { selfPeer, type Verdict } from './report';

// A white outline under value labels keeps them legible where they cross a target line.
const HALO = 'paint-order="stroke" stroke="#fff" stroke-width="3"';
/** Lines of at most `n` characters, broken after "; " or ", ". */
function wrap(text: string, n: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of text.split(/(?<=[;,] )/)) {
    if (line && line.length + part.length > n) {
      lines.push(line.trimEnd());
      line = '  ';
    }
    line += part;
  }
  return [...lines, line.trimEnd()];
}
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chart(vs: Verdict[], machineLine: string, subtitle: string): string {
  const W = 820;
  const left = 270;
  const right = W - 90;
  const rowH = 58;
  const top = 78;
  // One footer line per recorded run (a merged save lists several), wrapped to the width.
  const runs = machineLine.split('. ').flatMap((run) => wrap(run, 140));
  const H = top + vs.length * rowH + 42 + runs.length * 14;
  // Capped at 6x: a ratio against a much slower peer (ody/Soketi joins/s) would squeeze every other bar; a longer
  // bar stops at the edge and its label gives the value.
  const biggest = Math.min(6.6, Math.max(2, ...vs.flatMap((v) => [v.value ?? 0, v.reference ?? 0, v.limit ?? 0]).map((x) => x * 1.1)));
  const x = (r: number) => left + (Math.min(r, biggest) / biggest) * (right - left);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="20" y="28" font-size="17" font-weight="bold">ody against raw Bun.serve: target ratios</text>`,
    `<text x="20" y="48" fill="#444">${esc(subtitle)}</text>`,
  ];
  // Parity (1x) and scale ticks make bar lengths readable without a full axis.
  for (let t = 0; t <= biggest; t += biggest > 4 ? 1 : 0.5) {
    parts.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${top + vs.length * rowH - 10}" stroke="${t === 1 ? '#999' : '#eee'}"/>`);
    parts.push(`<text x="${x(t)}" y="${top - 12}" text-anchor="middle" fill="#777" font-size="10">${t}x</text>`);
  }
  vs.forEach((v, i) => {
    const y = top + i * rowH;
    const colour = v.pass === null ? '#9e9e9e' : v.pass ? '#2e7d32' : '#c62828';
    const verdict = v.limit === null ? '' : v.pass === null ? 'n/a' : v.pass ? 'PASS' : 'MISS';
    // The target line goes first so the value labels stay readable on top of it.
    if (v.limit !== null) parts.push(`<line x1="${x(v.limit)}" y1="${y - 2}" x2="${x(v.limit)}" y2="${y + 38}" stroke="#1565c0" stroke-width="2" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="20" y="${y + 14}">${esc(v.label)}</text>`);
    const goal = v.limit === null ? 'reported, no target' : `target ${v.op === '<=' ? '≤' : '≥'} ${v.limit}x`;
    parts.push(`<text x="20" y="${y + 30}" fill="#666" font-size="11">${goal}</text>`);
    if (v.value !== null) {
      parts.push(`<rect x="${left}" y="${y + 2}" width="${x(v.value) - left}" height="18" fill="${colour}"/>`);
      parts.push(`<text x="${x(v.value) + 6}" y="${y + 16}" font-weight="bold" ${HALO}>${[`${v.value.toFixed(2)}x`, verdict].filter(Boolean).join(' ')}</text>`);
    } else {
      parts.push(`<text x="${left + 6}" y="${y + 16}" fill="#666">n/a</text>`);
    }
    if (v.reference !== null) {
      const peer = selfPeer(v);
      const what = v.vs !== 'self' ? 'ody/ws' : peer === 'bun' ? 'raw Bun 2w/1w' : `${peer}'s own`;
      parts.push(`<rect x="${left}" y="${y + 24}" width="${x(v.reference) - left}" height="8" fill="#b0bec5"/>`);
      parts.push(`<text x="${x(v.reference) + 6}" y="${y + 32}" fill="#607d8b" font-size="10" ${HALO}>${what} ${v.reference.toFixed(2)}x</text>`);
    }
  });
  const foot = top + vs.length * rowH + 8;
  parts.push(`<line x1="20" y1="${foot}" x2="${W - 20}" y2="${foot}" stroke="#ddd"/>`);
  runs.forEach((run, i) => parts.push(`<text x="20" y="${foot + 20 + i * 14}" fill="#444" font-size="10">${esc(run)}</text>`));
  parts.push(
    `<text x="20" y="${foot + 24 + runs.length * 14}" fill="#777" font-size="10">dashed blue: target. green/red bar: ody's ratio (pass/miss). grey bar: reference (ody/ws, or raw Bun's own 2-worker scaling).</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
