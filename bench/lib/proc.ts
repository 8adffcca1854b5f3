// /proc helpers for the harness: the process tree of a server we started, and liveness checks.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Every pid whose ancestry reaches root (root included), from /proc/<pid>/stat. */
export function treePids(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may contain spaces or ')', so fields are counted from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // The process ended between readdir and read; it is not part of anything we measure.
    }
  }
  const tree = new Set<number>([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => parent.has(pid));
}

/**
 * Resident memory of these processes in KB, split as /proc/<pid>/status does: anon is private to the process
 * (heap, stacks), file is pages mapped from files (the executable's code and embedded data), which the
 * processes of one binary share and the kernel can drop and read back.
 */
export function rssSplit(pids: number[]): { anon_kb: number; file_kb: number } {
  let anon_kb = 0;
  let file_kb = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      anon_kb += Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      file_kb += Number(/^RssFile:\s+(\d+)/m.exec(status)?.[1] ?? 0) + Number(/^RssShmem:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // Gone: nothing of it to count.
    }
  }
  return { anon_kb, file_kb };
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function hasTaskset(): boolean {
  return Bun.which('taskset') !== null;
}

function machineBusyTicks(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user, nice, system, irq, softirq, steal.
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return [busy, busy + f[3]! + f[4]!];
}

/**
 * Waits (at most maxS seconds) until the machine is nearly idle, because another job on
 * these 2 cores would be billed to nobody yet slow whichever server runs next.
 * Returns the busy share (in cores) of the last sample.
 */
export async function waitQuiet(maxS: number, log: (m: string) => void): Promise<number> {
  const cores = os.cpus().length;
  const deadline = Date.now() + maxS * 1000;
  let warned = false;
  for (;;) {
    const [b0, t0] = machineBusyTicks();
    await Bun.sleep(300);
    const [b1, t1] = machineBusyTicks();
    const load = t1 > t0 ? ((b1 - b0) / (t1 - t0)) * cores : 0;
    if (load < 0.25 || Date.now() > deadline) return load;
    if (!warned) log(`  machine busy (${load.toFixed(2)} cores used by other processes): waiting up to ${maxS.toFixed(0)} s`);
    warned = true;
  }
}

/**
 * Wraps argv so it runs pinned, with the fd limit raised, and in its own session at autogroup
 * nice -10. Linux groups CPU time by session (autogroup), so plain nice does nothing against a
 * busy process in another session; a raised autogroup keeps stray jobs from skewing the run.
 * exec keeps the pid of the spawned process equal to the pid of the program measured.
 */
export function wrapped(argv: string[], cores: string | null): string[] {
  const pin = cores && hasTaskset() ? `exec taskset -c ${cores} "$@"` : 'exec "$@"';
  const script = [
    'echo -10 > /proc/self/autogroup 2>/dev/null',
    // 10,000 sockets need a high fd limit; the hard limit may be below 65535 (it is 20,000 here).
    'ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null',
    pin,
  ].join('; ');
  const shell = ['sh', '-c', script, 'sh', ...argv];
  return Bun.which('setsid') ? ['setsid', ...shell] : shell;
}

/** Whether the autogroup boost in wrapped() takes effect on this machine. */
export function boostWorks(): boolean {
  const r = Bun.spawnSync(wrapped(['cat', '/proc/self/autogroup'], null));
  return /nice -10/.test(r.stdout.toString());
}
