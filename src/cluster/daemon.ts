// `start -d`: re-run ody detached (own session, output to the log file) and return once it serves or failed.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { describeError, logger } from '../log/logger';
import { selfCommand } from './self';

const READY_TIMEOUT_MS = 30_000;

type Outcome = { t: 'ready'; url: string; pid: number } | { t: 'fatal'; error: string } | { t: 'exit'; code: number | null } | { t: 'timeout' };

/** Starts the daemon; resolves with its pid and URL once it accepts connections, throws its startup error otherwise. */
export async function daemonize(config: ResolvedConfig, rawArgs: string[]): Promise<{ pid: number; url: string }> {
  const logFile = config.additional.logFile;
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const [command, ...prefix] = selfCommand();
  const args = rawArgs.filter((a) => a !== '-d' && a !== '--daemon');
  // Loaded here, not at the top: every server process would otherwise pay node:child_process's memory for this one spawn.
  const { spawn } = await import('node:child_process');
  const child = spawn(command!, [...prefix, ...args], {
    detached: true, // its own session: closing the terminal does not take it down
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, ODY_DAEMON: '1', ODY_LOG_FILE: logFile },
  });
  closeSync(out);
  const outcome = await new Promise<Outcome>((resolve) => {
    child.on('message', (m: Outcome) => (m.t === 'ready' || m.t === 'fatal') && resolve(m));
    child.on('exit', (code) => resolve({ t: 'exit', code }));
    setTimeout(() => resolve({ t: 'timeout' }), READY_TIMEOUT_MS).unref();
  });
  if (outcome.t === 'ready') {
    child.disconnect();
    child.unref();
    return { pid: outcome.pid, url: outcome.url };
  }
  if (outcome.t === 'timeout') {
    child.kill('SIGKILL');
    throw new OdyError(`the server did not start within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`, 'E_WORKER');
  }
  if (outcome.t === 'fatal') throw new OdyError(outcome.error, 'E_WORKER');
  throw new OdyError(`the server exited during startup (code ${outcome.code}); see ${logFile}`, 'E_WORKER');
}

/**
 * In a daemon, stderr (fd 2) is the log file as it was opened at start, and nothing here can point fd 2
 * elsewhere: after logrotate moves the file and SIGUSR2 reopens the logger, a crash trace written to stderr
 * would land in the rotated file. So uncaught errors go through the logger (one record, the current file)
 * and the process exits as it would have.
 */
export function logCrashes(): void {
  const fatal = (what: string) => (error: unknown) => {
    logger.error(`${what}, exiting: ${error instanceof Error ? (error.stack ?? describeError(error)) : String(error)}`);
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
}
