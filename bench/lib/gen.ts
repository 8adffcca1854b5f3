// Builds wsgen (the C load generator in bench/gen) once per source version and runs one scenario with it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrapped } from './proc';

const GEN_DIR = join(import.meta.dir, '..', 'gen');

export type GenResult = {
  mode: string;
  units: number;
  elapsed_s: number;
  server_cpu_us: number;
  gen_cpu_us: number;
  rss_before_kb: number;
  rss_after_kb: number;
  errors: number;
  first_error: string;
  [key: string]: number | string;
};

/** Compiles into the temp dir keyed by a hash of the sources, so edits rebuild and reruns don't. */
export function buildGen(): string {
  const files = readdirSync(GEN_DIR).filter((f) => /\.[ch]$/.test(f)).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(GEN_DIR, f)));
  const out = join(tmpdir(), `ody-bench-wsgen-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(out)) return out;
  const cc = Bun.which('cc') ?? Bun.which('gcc') ?? Bun.which('clang');
  if (!cc) throw new Error('the load generator is C: install a compiler first (apt-get install gcc)');
  const sources = files.filter((f) => f.endsWith('.c')).map((f) => join(GEN_DIR, f));
  const built = Bun.spawnSync([cc, '-O2', '-Wall', '-o', `${out}.tmp`, ...sources]);
  if (built.exitCode !== 0) throw new Error(`building wsgen failed:\n${built.stderr.toString()}`);
  renameSync(`${out}.tmp`, out);
  return out;
}

export async function runGen(
  bin: string,
  cores: string | null,
  args: Record<string, string | number>,
  timeoutS: number,
): Promise<GenResult> {
  const argv = [bin, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  argv.push('--timeout', String(timeoutS));
  const proc = Bun.spawn(wrapped(argv, cores), { stdout: 'pipe', stderr: 'pipe' });
  // wsgen ends itself through alarm(); this second fence covers a process wedged in the kernel.
  const fence = setTimeout(() => proc.kill('SIGKILL'), (timeoutS + 10) * 1000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(fence);
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as GenResult;
  } catch {
    throw new Error(`wsgen gave no result (exit ${proc.exitCode}): ${(err || out).trim().slice(0, 300)}`);
  }
}
