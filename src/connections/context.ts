// ContextManager: process-wide registry so code without a server argument can reach 'WsServer', 'FdsTable', etc.
import type { WsServer } from '../server/ws-server';
import type { FdsTable } from './fds-table';

/** Keys ody sets itself, typed; any other key holds what user code put there. */
interface Known {
  WsServer: WsServer;
  FdsTable: FdsTable;
}

const values = new Map<string, unknown>();

export class ContextManager {
  /** The value stored under `key` ('WsServer' and 'FdsTable' are set when the server boots). */
  static get<K extends keyof Known>(key: K): Known[K];
  static get<T = unknown>(key: string): T;
  static get(key: string): unknown {
    return values.get(key);
  }

  static set<T>(key: string, value: T): T {
    values.set(key, value);
    return value;
  }

  static has(key: string): boolean {
    return values.has(key);
  }

  static delete(key: string): boolean {
    return values.delete(key);
  }
}
