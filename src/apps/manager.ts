// The apps of one process: looked up by key (sockets) and by id (HTTP API). Config apps are all known at once;
// database apps are read when first asked for, cached, and re-read every cacheTtl, so an app added, disabled or
// given a new secret in the table takes effect within cacheTtl. App objects are updated in place: every socket
// and request holding one sees the change.
import type { ResolvedApp, ResolvedConfig } from '../config/schema';
import { OdyError } from '../errors';
import { describeError, logger } from '../log/logger';
import { hideAuth } from './config';
import { appFromRow } from './layout';
import { type AppSource, openSource, type Row } from './sources';

/** Lookups in flight at most: beyond, a key not in the cache is answered "no such app" without a query, so a flood
 * of made-up keys cannot queue work on the database. */
const MAX_PENDING = 64;
/** Unknown keys and ids remembered at most (each answers "no such app" without a query until its TTL ends). */
const MAX_UNKNOWN = 10_000;

export class AppManager {
  readonly #byId = new Map<string, ResolvedApp>();
  readonly #byKey = new Map<string, ResolvedApp>();
  /** 'k' or 'i' + key or id -> when the "not found" answer expires. */
  readonly #unknown = new Map<string, number>();
  readonly #pending = new Map<string, Promise<ResolvedApp | null>>();
  /** Ids disabled from the dashboard: kept disabled over database re-reads until the process restarts. */
  readonly #disabled = new Set<string>();
  #state: 'up' | 'down' = 'up';
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly log = logger.withTag('apps');
  /** Called when a known app is disabled or removed from the table (its sockets are closed with 4003). */
  onDisabled: (app: ResolvedApp) => void = () => {};

  /** `source` null: the config's apps, complete; a miss is definite and nothing is re-read. */
  constructor(
    apps: readonly ResolvedApp[],
    readonly source: AppSource | null = null,
    readonly driver: string = 'config',
    readonly ttlMs = 10_000,
    readonly timeoutMs = 1000,
    /** For log lines: the database's URL (without its password) or file. */
    readonly where = '',
  ) {
    for (const app of apps) this.#remember(app);
  }

  static fromConfig(config: ResolvedConfig): AppManager {
    const db = config.appsDatabase;
    if (!db) return new AppManager(config.apps);
    const where = db.driver === 'postgres' ? String(hideAuth(db.url)) : db.path;
    return new AppManager([], openSource(db), db.driver, db.cacheTtl * 1000, db.lookupTimeout, `${where}, table ${db.table}`);
  }

  /** `ody websocket start`: a database that cannot be read is one clear line and exit 1, before anything listens. */
  static async checkAtStart(config: ResolvedConfig): Promise<void> {
    if (!config.appsDatabase) return;
    const manager = AppManager.fromConfig(config);
    try {
      await manager.check();
    } finally {
      await manager.stop();
    }
  }

  /** Starts re-reading cached database apps every cacheTtl (nothing for config apps). */
  start(): this {
    if (this.source && !this.#timer) {
      this.#timer = setInterval(() => void this.refresh(), this.ttlMs);
      this.#timer.unref?.();
    }
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.source?.close().catch(() => {});
  }

  /** For /health: 'down' while the database does not answer (cached apps keep serving). */
  status(): { driver: string; state: 'up' | 'down' } {
    return { driver: this.driver, state: this.#state };
  }

  /** Apps known to this process now (all of them for config apps; those looked up so far for a database). */
  get known(): ResolvedApp[] {
    return [...this.#byId.values()];
  }

  /** Synchronous answer when there is one: the app, null (no such app), or undefined (ask findByKey). */
  cachedByKey(key: string): ResolvedApp | null | undefined {
    return this.#cached(this.#byKey.get(key), `k${key}`);
  }

  cachedById(id: string): ResolvedApp | null | undefined {
    return this.#cached(this.#byId.get(id), `i${id}`);
  }

  findByKey(key: string): Promise<ResolvedApp | null> {
    const hit = this.cachedByKey(key);
    return hit !== undefined ? Promise.resolve(hit) : this.#lookup('key', key);
  }

  findById(id: string): Promise<ResolvedApp | null> {
    const hit = this.cachedById(id);
    return hit !== undefined ? Promise.resolve(hit) : this.#lookup('id', id);
  }

  #cached(app: ResolvedApp | undefined, unknownKey: string): ResolvedApp | null | undefined {
    if (app) return app;
    if (!this.source) return null;
    const until = this.#unknown.get(unknownKey);
    return until !== undefined && until > Date.now() ? null : undefined;
  }

  /** One query per key at a time; a slow or failing database answers null within timeoutMs (not cached). */
  #lookup(field: 'key' | 'id', value: string): Promise<ResolvedApp | null> {
    const tag = `${field[0]}${value}`;
    let pending = this.#pending.get(tag);
    if (pending) return pending;
    if (this.#pending.size >= MAX_PENDING) return Promise.resolve(null);
    pending = this.#ask(() => this.source!.one(field, value))
      .then((row) => {
        const app = row ? this.#parse(row) : null;
        if (app) return this.#remember(app);
        if (this.#unknown.size >= MAX_UNKNOWN) this.#unknown.delete(this.#unknown.keys().next().value!);
        this.#unknown.set(tag, Date.now() + this.ttlMs);
        return null;
      })
      .catch(() => null)
      .finally(() => this.#pending.delete(tag));
    this.#pending.set(tag, pending);
    return pending;
  }

  /** Re-reads every cached app: changes applied in place, disabled or removed apps reported. Never throws. */
  async refresh(): Promise<void> {
    const now = Date.now();
    for (const [tag, until] of this.#unknown) if (until <= now) this.#unknown.delete(tag);
    const ids = [...this.#byId.keys()];
    let rows: Row[];
    try {
      rows = await this.#ask(() => (ids.length > 0 ? this.source!.many(ids) : this.source!.ping().then(() => [])));
    } catch {
      return; // #ask logged it; cached apps keep serving as they are
    }
    const fresh = new Map(rows.map((r) => [String(r.id), r]));
    for (const id of ids) {
      const app = this.#byId.get(id)!;
      const row = fresh.get(id);
      const next = row ? this.#parse(row) : null;
      if (row && !next) continue; // a broken row: logged, the last good version keeps serving
      if (!next) {
        this.#byId.delete(id);
        this.#byKey.delete(app.key);
        app.enabled = false;
        this.onDisabled(app);
        continue;
      }
      const wasEnabled = app.enabled;
      if (next.key !== app.key) {
        this.#byKey.delete(app.key);
        this.#byKey.set(next.key, app);
      }
      Object.assign(app, next);
      if (this.#disabled.has(id)) app.enabled = false;
      if (wasEnabled && !app.enabled) this.onDisabled(app);
    }
  }

  /** Disables an app in this process (the dashboard's button, on every node): its sockets are closed with 4003. */
  disable(id: string): void {
    this.#disabled.add(id);
    const app = this.#byId.get(id);
    if (!app?.enabled) return;
    app.enabled = false;
    this.onDisabled(app);
  }

  /** Startup check: the table can be read, or one clear error (ody exits 1). */
  async check(): Promise<void> {
    if (!this.source) return;
    try {
      await this.#ask(() => this.source!.ping(), true);
    } catch (error) {
      throw new OdyError(`apps database (${this.driver}: ${this.where}) cannot be read: ${String(hideAuth(describeError(error)))}`, 'E_APPS');
    }
  }

  async #ask<T>(work: () => Promise<T>, quiet = false): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const result = await Promise.race([work(), late]);
      if (this.#state === 'down') this.log.info(`apps database (${this.driver}) answers again`);
      this.#state = 'up';
      return result;
    } catch (error) {
      if (this.#state === 'up' && !quiet) this.log.warn(`apps database (${this.driver}) down, cached apps keep serving: ${String(hideAuth(describeError(error)))}`);
      this.#state = 'down';
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #parse(row: Row): ResolvedApp | null {
    try {
      return appFromRow(row);
    } catch (error) {
      this.log.warn(`${(error as Error).message}; the row is ignored`);
      return null;
    }
  }

  #remember(app: ResolvedApp): ResolvedApp {
    const known = this.#byId.get(app.id);
    if (known) return known; // a lookup raced a refresh: keep the one object every holder shares
    this.#byId.set(app.id, app);
    this.#byKey.set(app.key, app);
    this.#unknown.delete(`k${app.key}`);
    this.#unknown.delete(`i${app.id}`);
    return app;
  }
}
