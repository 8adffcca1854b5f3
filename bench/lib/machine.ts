// Describes the machine a run came from, so published numbers carry their context.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type Machine = { cpu: string; cores: number; memGiB: number; kernel: string; bun: string; node: string; nofile: string; date: string };

export function machine(nodeVersion: string): Machine {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux; the bench needs /proc anyway, so this only happens when printing --help.
  }
  const limits = Bun.spawnSync(['sh', '-c', 'ulimit -n; ulimit -Hn']).stdout.toString().trim().split('\n');
  return {
    cpu,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    bun: Bun.version,
    node: nodeVersion,
    nofile: `${limits[0]} soft / ${limits[1]} hard`,
    date: new Date().toISOString(),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}; Bun ${m.bun}, Node ${m.node}; ${m.date.slice(0, 16).replace('T', ' ')} UTC`;
}
