// Logging through consola: the PHP package's level names, one line per record (time, level, process, message), as text or JSON.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConsola, type ConsolaInstance, type LogObject } from 'consola/core';
import { formatWithOptions } from 'node:util';
import type { LogFormat, LogLevel } from '../config/schema';

/** Swoole's order (debug lowest) onto consola's (higher = more verbose). */
const LEVELS: Record<LogLevel, number> = { debug: 5, trace: 5, info: 3, notice: 2, warning: 1, error: 0 };
const NAMES: Record<number, string> = { 0: 'error', 1: 'warning', 2: 'notice', 3: 'info', 4: 'debug', 5: 'trace' };

/** Where lines go: stdout/stderr by default, a file (daemon mode) after logToFile(). */
let file: { path: string; fd: number } | undefined;
/** Which process wrote the line: '' alone, 'primary' or 'worker N' with workers. */
let who = '';
/** Set at start from additional.logFormat; worker and daemon processes inherit it through the environment. */
let format: LogFormat = process.env.ODY_LOG_FORMAT === 'json' ? 'json' : 'text';

function line(o: LogObject): string {
  const level = o.type === 'debug' ? 'debug' : (NAMES[o.level] ?? o.type);
  const text = formatWithOptions({ colors: false, breakLength: Number.POSITIVE_INFINITY }, ...o.args);
  if (format === 'json') {
    // JSON.stringify escapes every control character itself: one line per record, nothing injected.
    const worker = /^worker (\d+)$/.exec(who)?.[1];
    return `${JSON.stringify({ time: o.date.toISOString(), level, ...(worker === undefined ? {} : { worker: Number(worker) }), msg: text })}\n`;
  }
  return `${o.date.toISOString()} ${level}${who ? ` [${who}]` : ''} ${escapeControls(text)}\n`;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One record, one line, nothing hidden: client text must not start a fake record (CR/LF), rewrite the
 * terminal (ESC sequences, C1 CSI) or vanish (BEL, DEL); every C0/C1 control and DEL is shown escaped.
 */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export const logger: ConsolaInstance = createConsola({
  level: LEVELS.info,
  reporters: [
    {
      log(o) {
        const text = line(o);
        if (file) writeSync(file.fd, text);
        else if (o.level <= 1) process.stderr.write(text);
        else process.stdout.write(text);
      },
    },
  ],
});

export function setLogLevel(level: LogLevel): void {
  logger.level = LEVELS[level];
}

/** 'json' writes one object per line, `{time, level, worker?, msg}` (worker only in worker processes), for log shippers. */
export function setLogFormat(value: LogFormat): void {
  format = value;
  process.env.ODY_LOG_FORMAT = value; // workers and the daemon are spawned with this environment
}

export function setLogProcess(name: string): void {
  who = name;
}

/** Sends every line to `path` (appending; created with its folder). Called again, it reopens: logrotate's SIGUSR2. */
export function logToFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  const old = file;
  file = { path, fd };
  if (old) closeSync(old.fd);
}

export function reopenLogFile(): void {
  if (file) logToFile(file.path);
}

/** Message of an unknown thrown value, one line, for log records. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
