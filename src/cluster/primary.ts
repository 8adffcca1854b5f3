// The primary: spawns workerNum workers on one port, restarts crashed ones (with backoff, giving up on a
// crash loop), routes their cross-worker traffic, and runs cluster-wide reload and status.
import type { Subprocess } from 'bun';
import type { LoadOptions } from '../config/load';
import type { ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { logger } from '../log/logger';
import type { ReloadResult, StatusReport } from './control';
import type { Reply, ToPrimary, ToWorker } from './messages';
import { type Route, Router } from './router';
import { selfCommand } from './self';

/** What a worker process is told at spawn (env ODY_WORKER). */
export interface WorkerSpec {
  index: number;
  count: number;
  fdStart: number;
  options: LoadOptions;
}

const CRASH_WINDOW_MS = 60_000;
const CRASH_LIMIT = 5;
const START_TIMEOUT_MS = 20_000;

interface Slot extends Route {
  proc?: Subprocess;
  state: 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';
  restarts: number;
  crashes: number[];
  fatal?: string;
  /** A signal that came while the worker was starting, delivered once it is ready. */
  missed?: NodeJS.Signals;
}

export class Primary {
  readonly #slots: Slot[] = [];
  readonly #router: Router;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #startedAt = Date.now();
  #nextId = 1;
  #stopping = false;
  #onReady?: (index: number) => void;
  /** Called when a worker (re)starts, so the pid file can list current worker pids. */
  onWorkersChanged?: () => void;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly options: LoadOptions,
    readonly url: string,
  ) {
    const count = config.additional.workerNum;
    for (let index = 0; index < count; index++) {
      this.#slots.push({ index, ready: false, state: 'starting', restarts: 0, crashes: [], send: (m) => this.#send(index, m) });
    }
    this.#router = new Router(this.#slots, count);
  }

  /** Spawns every worker and resolves once all accept connections; a worker that fails to start fails it all. */
  async start(): Promise<void> {
    const all = Promise.withResolvers<void>();
    let waiting = this.#slots.length;
    this.#onReady = () => --waiting === 0 && all.resolve();
    const failed = (slot: Slot) => all.reject(new OdyError(slot.fatal ?? `worker ${slot.index} exited during startup`, 'E_WORKER'));
    for (const slot of this.#slots) this.#spawn(slot, failed);
    const timer = setTimeout(() => all.reject(new OdyError(`workers did not start within ${START_TIMEOUT_MS / 1000} s`, 'E_WORKER')), START_TIMEOUT_MS);
    try {
      await all.promise;
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.#onReady = undefined;
  }

  #spawn(slot: Slot, onStartupFailure?: (slot: Slot) => void): void {
    const spec: WorkerSpec = { index: slot.index, count: this.#slots.length, fdStart: this.#router.fdStart(slot.index), options: this.options };
    slot.fatal = undefined;
    slot.proc = Bun.spawn([...selfCommand(), 'websocket', 'start'], {
      env: { ...process.env, ODY_WORKER: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit'],
      serialization: 'json',
      ipc: (message: ToPrimary) => this.#receive(slot, message),
      onExit: (_proc, code, signal) => this.#exited(slot, code, signal, onStartupFailure),
    });
  }

  #send(index: number, message: ToWorker): void {
    try {
      this.#slots[index]?.proc?.send(message);
    } catch (error) {
      logger.debug(`ipc to worker ${index} failed: ${(error as Error).message}`);
    }
  }

  #receive(slot: Slot, message: ToPrimary): void {
    switch (message.t) {
      case 'ready': {
        const restarted = slot.restarts > 0;
        slot.ready = true;
        slot.state = 'running';
        if (restarted) {
          slot.send(this.#router.snapshot());
          logger.info(`worker ${slot.index} is back (pid ${slot.proc?.pid})`);
        }
        if (slot.missed) slot.proc?.kill(slot.missed);
        slot.missed = undefined;
        this.#onReady?.(slot.index);
        this.onWorkersChanged?.();
        return;
      }
      case 'fatal':
        slot.fatal = message.error;
        return;
      case 'reply':
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
        return;
      default:
        this.#router.route(slot.index, message);
    }
  }

  #exited(slot: Slot, code: number | null, signal: number | string | null, onStartupFailure?: (slot: Slot) => void): void {
    const wasReady = slot.ready;
    slot.ready = false;
    this.#router.forget(slot.index);
    for (const [id, resolve] of this.#pending) resolve({ t: 'reply', id, ok: false, error: `worker ${slot.index} exited` });
    if (this.#stopping) {
      slot.state = 'stopped';
      return;
    }
    if (!wasReady && slot.restarts === 0 && onStartupFailure) {
      slot.state = 'failed';
      onStartupFailure(slot);
      return;
    }
    const now = Date.now();
    slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (slot.crashes.length >= CRASH_LIMIT) {
      slot.state = 'failed';
      logger.error(`worker ${slot.index} is crash-looping (${slot.crashes.length} exits within ${CRASH_WINDOW_MS / 1000} s, last ${how}${slot.fatal ? `: ${slot.fatal}` : ''}); not restarting it, the other workers keep serving`);
      return;
    }
    const delay = Math.min(100 * 2 ** (slot.crashes.length - 1), 5_000);
    slot.state = 'restarting';
    slot.restarts++;
    logger.error(`worker ${slot.index} (pid ${slot.proc?.pid}) exited with ${how}; restarting in ${delay} ms`);
    setTimeout(() => !this.#stopping && this.#spawn(slot), delay);
  }

  /** Sends a control request to every running worker and collects the replies. */
  async #ask(op: 'reload-prepare' | 'reload-commit' | 'reload-abort' | 'stats', timeoutMs = 30_000): Promise<Reply[]> {
    const running = this.#slots.filter((s) => s.ready);
    return Promise.all(
      running.map((slot) => {
        const id = this.#nextId++;
        const reply = new Promise<Reply>((resolve) => {
          this.#pending.set(id, resolve);
          setTimeout(() => resolve({ t: 'reply', id, ok: false, error: `worker ${slot.index} did not answer ${op}` }), timeoutMs).unref?.();
        });
        slot.send({ t: 'control', id, op });
        return reply;
      }),
    );
  }

  /** Two phases so all workers switch or none does: every worker loads the new code, then all swap. */
  async reload(): Promise<ReloadResult> {
    const prepared = await this.#ask('reload-prepare');
    const failed = prepared.find((r) => !r.ok);
    if (failed) {
      await this.#ask('reload-abort');
      return { ok: false, error: failed.error };
    }
    const committed = await this.#ask('reload-commit');
    const notCommitted = committed.find((r) => !r.ok);
    if (notCommitted) return { ok: false, error: notCommitted.error };
    return { ok: true, restartNeeded: prepared[0]?.restartNeeded ?? [] };
  }

  status(): StatusReport {
    const stats = this.#router.stats;
    let messagesIn = 0;
    let messagesOut = 0;
    for (const s of stats.values()) {
      messagesIn += s.messagesIn;
      messagesOut += s.messagesOut;
    }
    return {
      pid: process.pid,
      url: this.url,
      uptimeMs: Date.now() - this.#startedAt,
      connections: this.#router.connections.size,
      messagesIn,
      messagesOut,
      workers: this.#slots.map((s) => ({
        index: s.index, pid: s.proc?.pid ?? 0, state: s.state, restarts: s.restarts,
        connections: stats.get(s.index)?.connections ?? 0, messagesIn: stats.get(s.index)?.messagesIn ?? 0, messagesOut: stats.get(s.index)?.messagesOut ?? 0,
      })),
    };
  }

  workerPids(): number[] {
    return this.#slots.map((s) => s.proc?.pid ?? 0).filter((pid) => pid > 0);
  }

  /** Forwards a signal (SIGUSR2: reopen logs) to every worker; one still starting may have no handler yet, so it gets it when ready. */
  signal(signal: NodeJS.Signals): void {
    for (const s of this.#slots) {
      if (s.ready) s.proc?.kill(signal);
      else s.missed = signal;
    }
  }

  /** Graceful: each worker closes its sockets with 1001 within shutdownTimeout; stragglers are killed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const procs = this.#slots.map((s) => s.proc).filter((p): p is Subprocess => p !== undefined && p.exitCode === null && p.signalCode === null);
    for (const p of procs) p.kill('SIGTERM');
    const grace = (this.config.additional.shutdownTimeout + 2) * 1000;
    const timer = setTimeout(() => procs.forEach((p) => p.kill('SIGKILL')), grace);
    await Promise.all(procs.map((p) => p.exited));
    clearTimeout(timer);
  }
}
