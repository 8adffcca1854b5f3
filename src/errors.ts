// OdyError: the one error type thrown deep inside; the CLI edge turns it into one line + exit code.

/** Stable error codes; the CLI maps each to a one-line message and a non-zero exit. */
export type OdyErrorCode =
  | 'E_CONFIG' // invalid configuration value or unknown key
  | 'E_CONFIG_LOAD' // the config file (or a controller it imports) failed to load
  | 'E_CALLBACK' // a callback names a missing class method
  | 'E_LISTEN' // the server could not bind (port in use, permission)
  | 'E_TLS' // TLS files unreadable
  | 'E_CLI' // unknown command or flag
  | 'E_SECURITY' // refused for safety (default secret on a public address)
  | 'E_NOT_RUNNING' // stop/reload/status found no live server
  | 'E_RUNNING' // start found a live server for this project
  | 'E_RELOAD' // reload failed; the old code keeps serving
  | 'E_WORKER' // workers failed to start
  | 'E_ADAPTER' // the adapter could not join the cluster (Redis unreachable at start)
  | 'E_APPS' // the apps database could not be read at start
  | 'E_INIT' // ody init would overwrite a file
  | 'E_BUILD' // ody build could not compile or stage the image
  | 'E_UNHEALTHY' // ody healthcheck got no 200
  | 'E_TABLE' // the shared connection table could not be made or mapped
  | 'E_TABLE_ROW' // a table row or key over additional.table.rowBytes, or not JSON-safe
  | 'E_TABLE_FULL' // a shared table has no free row (additional.table)
  | 'E_TABLE_LOCK' // a shared table lock or row was left held by a process that died
  | 'E_INCOMPLETE'; // a cluster-wide listing missed a node's answer, or part of one

export class OdyError extends Error {
  constructor(
    message: string,
    readonly code: OdyErrorCode,
  ) {
    super(message);
    this.name = 'OdyError';
  }
}

/** Closest candidate by edit distance, for "did you mean" hints; undefined when nothing is near. */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** " (did you mean 'x'?)" or "" */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const hit = suggest(input, candidates);
  return hit ? ` (did you mean '${hit}'?)` : '';
}
