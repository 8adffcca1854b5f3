// The primary: spawns workerNum workers on one port, restarts crashed ones (with backoff, giving up on a
// crash loop), kills ones that stop answering, relays their ipc-adapter traffic (hub.ts), and runs cluster-wide
// reload and status.
import { dirname } from 'node:path';
import type { Subprocess } from 'bun';
import type { LoadOptions } from '../config/load';
import type { ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { logger, setLogLevel } from '../log/logger';
import type { ReloadResult, StatusReport } from './control';
import type { Stats } from '../server/node';
import { Machine, type MachineSpec } from '../connections/machine';
import { Hub, type HubPeer } from './hub';
import type { Reply, ToPrimary, ToWorker } from './messages';
import { selfCommand } from './self';

/** What a worker process is told at spawn (env ODY_WORKER). */
export interface WorkerSpec {
  index: number;
  /** Its node id for the ipc adapter: new at every spawn, so a restarted worker's fds never repeat the old ones. */
  node: number;
  options: LoadOptions;
  /** The machine's shared memory the primary made, for the worker to map. */
  machine: MachineSpec;
}

const CRASH_WINDOW_MS = 60_000;
const CRASH_LIMIT = 5;
const START_TIMEOUT_MS = 20_000;
/** A running worker silent this long (busy loop, SIGSTOP) is killed and restarted; its clients would hang otherwise. */
export const WATCHDOG_MS = 5_000;

interface Slot extends HubPeer {
  index: number;
  /** Only workers that said ready get control requests. */
  ready: boolean;
  proc?: Subprocess;
  state: 'starting' | 'running' | 'restarting' | 'unresponsive' | 'failed' | 'stopped';
  restarts: number;
  crashes: number[];
  fatal?: string;
  /** When it last said it was alive. */
  aliveAt: number;
  /** A signal that came while the worker was starting, delivered once it is ready. */
  missed?: NodeJS.Signals;
}

export class Primary {
  readonly #slots: Slot[] = [];
  readonly #hub = new Hub();
  #nextNode = 1;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #startedAt = Date.now();
  #nextId = 1;
  #stopping = false;
  #onReady?: (index: number) => void;
  /** Called when a worker (re)starts, so the pid file can list current worker pids. */
  onWorkersChanged?: () => void;
  /** Called when every worker has failed for good: nothing serves, so the primary must not pretend to. */
  onAllFailed?: () => void;
  /** The machine's connection table and counters, shared with every worker (a fresh file per start). */
  readonly machine: Machine;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly options: LoadOptions,
    readonly url: string,
  ) {
    this.machine = Machine.create(config.additional.table, dirname(config.additional.pidFile));
    const count = config.additional.workerNum;
    for (let index = 0; index < count; index++) {
      this.#slots.push({ index, node: 0, ready: false, state: 'starting', restarts: 0, crashes: [], aliveAt: 0, send: (m) => this.#send(index, m) });
    }
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
    this.#watchdog = setInterval(() => this.#watch(), 500);
    this.#watchdog.unref?.();
  }

  #watch(): void {
    const cutoff = Date.now() - WATCHDOG_MS;
    for (const slot of this.#slots) {
      if (slot.state !== 'running' || slot.aliveAt >= cutoff) continue;
      slot.state = 'unresponsive';
      logger.error(`worker ${slot.index} (pid ${slot.proc?.pid}) has not answered for ${WATCHDOG_MS / 1000} s; killing it so it can be restarted`);
      this.#hub.leave(slot.node);
      slot.proc?.kill('SIGKILL');
    }
  }

  #spawn(slot: Slot, onStartupFailure?: (slot: Slot) => void): void {
    slot.node = this.#nextNode++;
    const spec: WorkerSpec = { index: slot.index, node: slot.node, options: this.options, machine: this.machine.spec };
    slot.fatal = undefined;
    slot.aliveAt = Date.now();
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
        slot.ready = true;
        slot.state = 'running';
        slot.aliveAt = Date.now();
        if (slot.restarts > 0) logger.info(`worker ${slot.index} is back (pid ${slot.proc?.pid})`);
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
      case 'alive':
        slot.aliveAt = Date.now();
        this.#hub.taken(slot.node, message.rx);
        return;
      default:
        this.#hub.route(slot, message);
    }
  }

  #exited(slot: Slot, code: number | null, signal: number | string | null, onStartupFailure?: (slot: Slot) => void): void {
    const wasReady = slot.ready;
    slot.ready = false;
    this.#hub.leave(slot.node);
    // Its connections died with it: out of the machine's tables before anything asks, and before a replacement serves.
    const dropped = this.machine.reap(slot.index);
    if (dropped > 0 && !this.#stopping) logger.warn(`worker ${slot.index} left ${dropped} connection${dropped === 1 ? '' : 's'} behind; removed from the connection table`);
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
      if (this.#slots.every((s) => s.state === 'failed')) {
        logger.error('every worker has failed: nothing is serving, stopping');
        this.onAllFailed?.();
      }
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
    // The primary logs too (restarts, signals, stop): it follows the level the workers switched to.
    const level = committed.find((r) => r.ok && r.logLevel)?.logLevel;
    if (level) setLogLevel(level);
    const notCommitted = committed.find((r) => !r.ok);
    if (notCommitted) return { ok: false, error: notCommitted.error };
    return { ok: true };
  }

  /** Asks every running worker for its counters (a worker that does not answer in time shows zeros). */
  async status(): Promise<StatusReport> {
    const replies = await this.#ask('stats', 2_000);
    const byIndex = new Map<number, Stats>();
    for (const r of replies) if (r.ok && r.stats) byIndex.set((r.stats as Stats).worker, r.stats as Stats);
    const workers = this.#slots.map((s) => {
      const st = byIndex.get(s.index);
      return { index: s.index, pid: s.proc?.pid ?? 0, state: s.state, restarts: s.restarts, connections: st?.connections ?? 0, messagesIn: st?.messagesIn ?? 0, messagesOut: st?.messagesOut ?? 0 };
    });
    const sum = (key: 'connections' | 'messagesIn' | 'messagesOut') => workers.reduce((n, w) => n + w[key], 0);
    return { pid: process.pid, url: this.url, uptimeMs: Date.now() - this.#startedAt, connections: sum('connections'), messagesIn: sum('messagesIn'), messagesOut: sum('messagesOut'), ipcDropped: this.#hub.dropped, workers };
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
    clearInterval(this.#watchdog);
    const procs = this.#slots.map((s) => s.proc).filter((p): p is Subprocess => p !== undefined && p.exitCode === null && p.signalCode === null);
    for (const p of procs) p.kill('SIGTERM');
    const grace = (this.config.additional.shutdownTimeout + 2) * 1000;
    const timer = setTimeout(() => procs.forEach((p) => p.kill('SIGKILL')), grace);
    await Promise.all(procs.map((p) => p.exited));
    clearTimeout(timer);
    this.machine.remove();
  }
}
