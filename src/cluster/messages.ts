// What the primary and a worker say to each other beside the adapter's traffic: readiness, supervision, control.
import type { HubMessage } from '../adapters/ipc';
import type { Message } from '../adapters/wire';
import type { LogLevel } from '../config/schema';

/** Control requests from the primary, answered with a Reply of the same id. */
export type Control = { t: 'control'; id: number; op: 'reload-prepare' | 'reload-commit' | 'reload-abort' | 'stats' };
/** A worker's answer to a Control request; a committed reload names the log level it switched to, for the primary to follow. */
export type Reply = { t: 'reply'; id: number; ok: boolean; error?: string; stats?: unknown; logLevel?: LogLevel };

export type ToPrimary = Message | HubMessage | Reply | { t: 'ready'; url: string } | { t: 'fatal'; error: string };
export type ToWorker = Message | HubMessage | Control;
