// Getting a unix socket path ready to listen on: its folder created, a file left by a crashed server removed.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { OdyError } from '../errors';

/** How long a connect to an existing socket file may take before we call it neither free nor stale. */
const PROBE_MS = 2_000;

/**
 * Bun cannot bind over an existing file, so a socket file left by a crash (kill -9, power loss) would block
 * every start. Nothing answering a connect (ECONNREFUSED) means stale: remove it. Something answering means
 * another server uses the path: refuse. A file that is not a socket is never removed.
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  let isSocket: boolean;
  try {
    isSocket = statSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new OdyError(`cannot listen on ${path}: the path exists and is not a socket (remove it or choose another path)`, 'E_LISTEN');
  // Loaded here, not at the top: node:net costs every server process about 1 MB of memory, for a probe only this path makes.
  const { connect } = await import('node:net');
  const answer = await new Promise<'listening' | 'stale' | string>((resolve) => {
    const probe = connect(path);
    const timer = setTimeout(() => (probe.destroy(), resolve('no answer to a connect')), PROBE_MS);
    probe.once('connect', () => (clearTimeout(timer), probe.destroy(), resolve('listening')));
    probe.once('error', (error: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(error.code === 'ECONNREFUSED' ? 'stale' : (error.code ?? error.message))));
  });
  if (answer === 'stale') return rmSync(path, { force: true });
  if (answer === 'listening') throw new OdyError(`cannot listen on ${path}: another server is listening on it (stop it, or choose another path)`, 'E_LISTEN');
  throw new OdyError(`cannot listen on ${path}: the socket file exists and its state is unclear (${answer})`, 'E_LISTEN');
}
