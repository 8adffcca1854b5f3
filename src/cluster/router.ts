// The primary's switchboard: routes each worker's operations to the owner or to every other worker,
// and keeps the cluster-wide registry (open fds, table, counters) that restarted workers resync from.
import type { Row } from '../connections/fds-table';
import type { ClientInfo } from '../server/types';
import { type Op, ownerOf, type Snapshot, type ToWorker, type WorkerStats } from './messages';

export interface Route {
  index: number;
  /** Only workers that said ready get traffic; a snapshot brings them up to date. */
  ready: boolean;
  send(message: ToWorker): void;
}

export class Router {
  readonly connections = new Map<number, ClientInfo>();
  readonly table = new Map<string, Row>();
  readonly stats = new Map<number, WorkerStats>();
  /** Highest fd each worker has opened, so a restarted worker continues after it. */
  readonly maxFd = new Map<number, number>();

  constructor(
    private readonly routes: Route[],
    private readonly workerCount: number,
  ) {}

  route(from: number, op: Op): void {
    switch (op.t) {
      case 'push':
      case 'disconnect':
      case 'subscribe':
      case 'unsubscribe': {
        const owner = this.routes[ownerOf(op.fd, this.workerCount)];
        if (owner?.ready && owner.index !== from) owner.send(op);
        return;
      }
      case 'open':
        this.connections.set(op.info.fd, op.info);
        this.maxFd.set(from, Math.max(this.maxFd.get(from) ?? 0, op.info.fd));
        break;
      case 'close':
        this.connections.delete(op.fd);
        break;
      case 'table':
        if (op.row === undefined) this.table.delete(op.key);
        else this.table.set(op.key, op.row);
        break;
      case 'stats':
        this.stats.set(op.worker, op.stats);
        break;
    }
    this.toOthers(from, op);
  }

  toOthers(from: number, message: ToWorker): void {
    for (const r of this.routes) if (r.ready && r.index !== from) r.send(message);
  }

  snapshot(): Snapshot {
    return {
      t: 'snapshot',
      connections: [...this.connections.values()],
      table: [...this.table.entries()],
      stats: [...this.stats.entries()].map(([worker, stats]) => ({ worker, stats })),
    };
  }

  /** A worker died: its sockets are gone. Tell the others, drop its table rows keyed by those fds. */
  forget(worker: number): void {
    this.stats.delete(worker);
    for (const [fd, info] of this.connections) {
      if (info.worker !== worker) continue;
      this.connections.delete(fd);
      this.toOthers(worker, { t: 'close', fd });
      if (this.table.delete(String(fd))) this.toOthers(worker, { t: 'table', key: String(fd) });
    }
  }

  /** fd a (re)started worker begins with: after anything it handed out before. */
  fdStart(worker: number): number {
    const last = this.maxFd.get(worker);
    return last === undefined ? worker + 1 : last + this.workerCount;
  }
}
