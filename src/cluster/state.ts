// The pid/state file: who is running (primary and worker pids, start times), where, and its control socket.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OdyError } from '../errors';

export interface State {
  pid: number;
  /** /proc start time of pid, so a recycled pid is not mistaken for ours. */
  startTime: string;
  workers: number[];
  url: string;
  root: string;
  configFile: string | null;
  control: string;
  startedAt: number;
  version: string;
  daemon: boolean;
}

/** Unix socket the running server answers status/reload on, beside the pid file. */
export function controlPath(pidFile: string): string {
  return pidFile.replace(/\.pid$/, '') + '.sock';
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or undefined when the process is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 on; comm may hold spaces
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  return processStartTime(pid) !== undefined;
}

export function writeState(pidFile: string, state: State): void {
  mkdirSync(dirname(pidFile), { recursive: true });
  const tmp = `${pidFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, pidFile); // readers never see half a file
}

export function removeState(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

export type Found = { kind: 'none' } | { kind: 'stale'; reason: string; state?: State } | { kind: 'running'; state: State };

/** Reads the pid file and checks the process it names is alive and is the one that wrote it. */
export function findServer(pidFile: string): Found {
  if (!existsSync(pidFile)) return { kind: 'none' };
  let state: State;
  try {
    state = JSON.parse(readFileSync(pidFile, 'utf8'));
    if (typeof state.pid !== 'number') throw new Error('no pid');
  } catch {
    return { kind: 'stale', reason: `${pidFile} is not an ody state file` };
  }
  const startTime = processStartTime(state.pid);
  if (startTime === undefined) return { kind: 'stale', reason: `pid ${state.pid} in ${pidFile} is not running`, state };
  if (startTime !== state.startTime) return { kind: 'stale', reason: `pid ${state.pid} in ${pidFile} now belongs to another process`, state };
  return { kind: 'running', state };
}

/** The running server, or an OdyError saying none runs (and why the pid file does not count). */
export function requireServer(pidFile: string): State {
  const found = findServer(pidFile);
  if (found.kind === 'running') return found.state;
  if (found.kind === 'stale') throw new OdyError(`no server running: stale pid file (${found.reason})`, 'E_NOT_RUNNING');
  throw new OdyError(`no server running (no pid file at ${pidFile})`, 'E_NOT_RUNNING');
}

/** The start lock beside the pid file: held from before listening until the pid file is gone. */
export function lockPath(pidFile: string): string {
  return pidFile.replace(/\.pid$/, '') + '.lock';
}

interface Owner {
  pid: number;
  startTime: string;
}

function readOwner(file: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

const alive = (owner: Owner | undefined) => owner !== undefined && processStartTime(owner.pid) === owner.startTime;

/** Creates `file` holding `text` only if it does not exist: written aside, then hard-linked, so no reader sees it half-written. */
function createExclusive(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OdyError(`cannot create ${file}: ${(error as Error).message}`, 'E_RUNNING');
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Takes the project's start lock atomically (a check of the pid file followed by writing it lets two starts
 * both pass). A lock whose owner is gone (pid dead or reused: /proc start time) is taken over. Returns the release function.
 */
export function acquireLock(pidFile: string): () => void {
  const got = tryLock(lockPath(pidFile));
  if (typeof got === 'function') return got;
  throw alreadyRunning(pidFile, got.pid);
}

/**
 * Holds a machine-wide lock on host:port from the primary's port check until its workers listen. Workers bind with
 * reusePort, which Linux lets any process of the same user join: two projects started on one port at once could
 * both find it free and then share it, each getting part of the other's clients. The second waits for the first
 * (up to waitMs), and its check then finds the port taken. Returns the release function.
 */
export async function lockPort(host: string, port: number, waitMs: number): Promise<() => void> {
  // By port alone: a wildcard address and a specific one on the same port can end up in one reusePort group too.
  const lock = join(tmpdir(), `ody-port-${port}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = tryLock(lock);
    if (typeof got === 'function') return got;
    if (Date.now() > deadline) throw new OdyError(`cannot listen on ${host}:${port}: another ody (pid ${got.pid}) is starting on it; try another --port`, 'E_LISTEN');
    await Bun.sleep(50);
  }
}

/**
 * Creates `lock` holding this process's pid and start time, or returns the live process that holds it. A lock
 * whose owner is gone is taken over, under a second short-lived lock so two processes cannot both take it over.
 */
function tryLock(lock: string): (() => void) | Owner {
  const takeover = `${lock}.takeover`;
  mkdirSync(dirname(lock), { recursive: true });
  const mine = JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) ?? '' });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(lock, mine)) return () => readOwner(lock)?.pid === process.pid && rmSync(lock, { force: true });
    const owner = readOwner(lock);
    if (alive(owner)) return owner!;
    if (!createExclusive(takeover, mine)) {
      const other = readOwner(takeover);
      if (alive(other)) return other!;
      rmSync(takeover, { force: true }); // its owner died mid-takeover
      continue;
    }
    try {
      if (!alive(readOwner(lock))) rmSync(lock, { force: true });
    } finally {
      rmSync(takeover, { force: true });
    }
  }
  throw new OdyError(`cannot take the lock ${lock}; remove it if no ody is starting`, 'E_RUNNING');
}

// The CLI prints errors after 'ody: ', so these do not start with 'ody' again.
function alreadyRunning(pidFile: string, pid: number): OdyError {
  const found = findServer(pidFile);
  if (found.kind === 'running' && found.state.pid === pid) {
    return new OdyError(`a server is already running for this project (pid ${pid}, ${found.state.url}); stop it first: ody websocket stop`, 'E_RUNNING');
  }
  return new OdyError(`a server is already starting for this project (pid ${pid}); stop it first: ody websocket stop`, 'E_RUNNING');
}

/**
 * Refuses a start while this project's server runs. `start -d` asks before it spawns the daemon: the daemon would
 * find out too (acquireLock), but its refusal would land in the running server's log file, which is its stderr.
 */
export function refuseIfRunning(pidFile: string): void {
  const found = findServer(pidFile);
  if (found.kind === 'running') throw alreadyRunning(pidFile, found.state.pid);
}
