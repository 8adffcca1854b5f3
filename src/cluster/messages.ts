// What the primary and a worker say to each other beside the adapter's traffic: readiness, supervision, control.
import type { HubMessage } from '../adapters/ipc';
import type { Message } from '../adapters/wire';

/** Control requests from the primary, answered with a Reply of the same id. */
export type Control = { t: 'control'; id: number; op: 'reload-prepare' | 'reload-commit' | 'reload-abort' | 'stats' };
export type Reply = { t: 'reply'; id: number; ok: boolean; error?: string; stats?: unknown };

export type ToPrimary = Message | HubMessage | Reply | { t: 'ready'; url: string } | { t: 'fatal'; error: string };
export type ToWorker = Message | HubMessage | Control;
