// Shared memory for one machine: a file mapped MAP_SHARED into every process of one server (Swoole's Table is built the
// same way). The primary makes a fresh file at each start; workers map it by path; a lone process needs no file (plain
// memory). Pages are touched only as rows are used, so a large capacity costs address space, not memory.
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OdyError } from '../errors';

/** A mapped byte range with views for Atomics and plain reads (all offsets 8-aligned). */
export interface Region {
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  /** The file behind it ('' once unlinked). */
  readonly path: string;
}

const PREFIX = 'ody-table-';

/**
 * /dev/shm when it is there, writable and has room for `size` bytes (RAM, never written back to disk), else `fallback`
 * (the project's storage). Room matters: a process that touches a page of a full tmpfs gets SIGBUS.
 */
export function tableDir(fallback: string, size: number): string {
  try {
    const free = statfsSync('/dev/shm');
    if (free.bavail * free.bsize >= size) {
      const probe = join('/dev/shm', `${PREFIX}probe-${process.pid}`);
      closeSync(openSync(probe, 'w'));
      unlinkSync(probe);
      return '/dev/shm';
    }
  } catch {}
  mkdirSync(fallback, { recursive: true });
  return fallback;
}

/** Zero-filled memory of one process (the OS hands out the pages as they are first written). */
export function privateRegion(size: number): Region {
  const buffer = new ArrayBuffer(size);
  return { bytes: new Uint8Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer), path: '' };
}

/** A new zero-filled file of `size` bytes for the workers to map, in /dev/shm or else `fallbackDir`. */
export function createRegion(size: number, fallbackDir: string): Region {
  let dir = fallbackDir;
  try {
    dir = tableDir(fallbackDir, size);
  } catch (error) {
    throw new OdyError(`cannot create the shared connection table: /dev/shm is missing, full or read-only, and ${fallbackDir} cannot be made (${(error as Error).message})`, 'E_TABLE');
  }
  removeStale(dir);
  const path = join(dir, `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    return map(path);
  } catch (error) {
    try {
      unlinkSync(path);
    } catch {}
    throw new OdyError(`cannot create the shared connection table (${size} bytes) in ${dir}: ${(error as Error).message}`, 'E_TABLE');
  }
}

/** Maps the file another process of this server created. */
export function attachRegion(path: string): Region {
  try {
    return map(path);
  } catch (error) {
    throw new OdyError(`cannot map the shared connection table ${path}: ${(error as Error).message}`, 'E_TABLE');
  }
}

export function removeRegion(region: Region): void {
  if (!region.path) return;
  try {
    unlinkSync(region.path);
  } catch {}
}

function map(path: string): Region {
  const bytes = Bun.mmap(path, { shared: true });
  const words = bytes.byteLength >> 3;
  return { bytes, i32: new Int32Array(bytes.buffer, bytes.byteOffset, words * 2), f64: new Float64Array(bytes.buffer, bytes.byteOffset, words), path };
}

/** Files left by servers that died without cleaning up (kill -9 of the primary): never trusted, removed. */
function removeStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {}
  }
}

/** A zombie still answers kill(pid, 0): read its state too. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}
