// The control socket: a tiny HTTP API on a unix socket beside the pid file, for `status` and `reload`.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Server } from 'bun';
import { describeError, logger } from '../log/logger';

export interface ReloadResult {
  ok: boolean;
  /** Why it failed; a change only a restart applies is refused here, the keys named. */
  error?: string;
}

export interface StatusReport {
  pid: number;
  workers: { index: number; pid: number; connections: number; messagesIn: number; messagesOut: number; restarts: number; state: string }[];
  uptimeMs: number;
  connections: number;
  messagesIn: number;
  messagesOut: number;
  /** Messages the primary dropped toward workers that fell too far behind (workers only). */
  ipcDropped?: number;
  url: string;
}

export interface ControlHandlers {
  status(): Promise<StatusReport> | StatusReport;
  reload(): Promise<ReloadResult>;
}

export function serveControl(path: string, handlers: ControlHandlers): Server<undefined> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true }); // a socket file left by a crashed server; the pid file check ran first
  return Bun.serve({
    unix: path,
    async fetch(req) {
      const { pathname } = new URL(req.url);
      try {
        if (req.method === 'GET' && pathname === '/status') return Response.json(await handlers.status());
        if (req.method === 'POST' && pathname === '/reload') return Response.json(await handlers.reload());
        return Response.json({ error: 'not found' }, { status: 404 });
      } catch (error) {
        logger.error(`control ${pathname} failed: ${describeError(error)}`);
        return Response.json({ ok: false, error: describeError(error) }, { status: 500 });
      }
    },
  });
}

/** Calls the running server's control socket. */
export async function control<T>(path: string, method: 'GET' | 'POST', route: string, timeoutMs = 30_000): Promise<T> {
  const res = await fetch(`http://ody${route}`, { method, unix: path, signal: AbortSignal.timeout(timeoutMs) } as RequestInit);
  return (await res.json()) as T;
}
