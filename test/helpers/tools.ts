// Test helper: system tools some tests drive (promtool, prometheus, podman). Outside CI a missing one skips those
// tests with a printed reason; under CI (CI=true, where .ci/run installs them) the tests run and fail loudly instead.

export function haveTool(...names: string[]): boolean {
  const missing = names.filter((name) => !Bun.which(name, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }));
  if (missing.length === 0 || process.env.CI === 'true') return true;
  console.log(`skipping tests that need ${missing.join(', ')}: not installed here (apt-get install ${missing.join(' ')}; .ci/run does)`);
  return false;
}

/** Runs a command to completion with a time bound; returns its exit code and output. */
export async function runTool(cmd: string[], options: { stdin?: string; cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { cwd: options.cwd, env: options.env ?? process.env, stdin: options.stdin === undefined ? 'ignore' : new Blob([options.stdin]), stdout: 'pipe', stderr: 'pipe' });
  const timer = setTimeout(() => proc.kill(9), options.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A free TCP port on 127.0.0.1 for a program that cannot take port 0 and tell us (prometheus). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}
