// Logging through consola, with the PHP package's level names mapped onto consola's numeric levels.
import { createConsola, type ConsolaInstance } from 'consola';
import type { LogLevel } from '../config/schema';

/** Swoole's order (debug lowest) onto consola's (higher = more verbose). */
const LEVELS: Record<LogLevel, number> = { debug: 5, trace: 5, info: 3, notice: 2, warning: 1, error: 0 };

export const logger: ConsolaInstance = createConsola({ level: LEVELS.info, formatOptions: { date: true, colors: false } });

export function setLogLevel(level: LogLevel): void {
  logger.level = LEVELS[level];
}

/** Message of an unknown thrown value, one line, for log records. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
