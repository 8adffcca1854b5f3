// Signed-in users and their watchlists. A user is online while one of its sockets, on any node, is signed in: that
// is a cluster-wide transition like a presence member's (key `u\0app\0user`, transitions.ts), so going online or
// offline is announced once, and a dead node's users go offline through departures.ts. Watchers (sockets that
// signed in with a `watchlist`) are indexed on their own node; the node that announces a change tells every node.
// What each watcher was told is remembered, so a change is told once, and after an outage (whose announcements
// were lost on the way) a re-read of the watched users' state tells each watcher only what it missed (resync.ts).
import type { ResolvedApp } from '../config/schema';
import type { Socket } from '../server/node';
import { frame } from './frames';
import { keyOf } from './registry';
import { pusherOf, type PusherServer } from './server';

/** Pusher's limit on a watchlist's length (more is refused with 4302). */
export const MAX_WATCHLIST = 100;

export const userKey = (app: string, userId: string) => `u\u0000${keyOf(app, userId)}`;

/** The frame pusher-js's user.watchlist turns into 'online' / 'offline' events. */
function watchlistEvents(online: string[], offline: string[]): string {
  const events = [];
  if (online.length > 0) events.push({ name: 'online', user_ids: online });
  if (offline.length > 0) events.push({ name: 'offline', user_ids: offline });
  return frame('pusher_internal:watchlist_events', JSON.stringify({ events }));
}

/** Watched user ids per re-read question (the question and its answers stay small). */
const REREAD_BATCH = 1000;

export class Users {
  /** Watchers by keyOf(app, watched user id). */
  readonly #watchers = new Map<string, Set<Socket>>();
  /** The watched users each watcher was last told are online. */
  readonly #told = new WeakMap<Socket, Set<string>>();
  /** When a watched user's change last reached this node (by keyOf(app, id)): a re-read asked before it is older. */
  readonly #changedAt = new Map<string, number>();

  constructor(private readonly layer: PusherServer) {}

  /** A socket signed in as `userId`, watching `watchlist`; then it hears who of those is online now. */
  async signIn(ws: Socket, app: ResolvedApp, userId: string, watchlist: string[]): Promise<void> {
    const conn = pusherOf(ws);
    this.signOut(ws, app); // signing in again replaces the previous identity
    conn.userId = userId;
    conn.watchlist = watchlist;
    if (this.layer.registry.signIn(keyOf(app.id, userId), ws)) this.layer.transitions.add(userKey(app.id, userId));
    for (const id of watchlist) {
      const key = keyOf(app.id, id);
      (this.#watchers.get(key) ?? this.#watchers.set(key, new Set()).get(key)!).add(ws);
    }
    if (watchlist.length === 0) return;
    const online = new Set(this.online(app.id, watchlist));
    const ask = { p: 'online' as const, app: app.id, ids: watchlist };
    await this.layer.node.adapter.ask({ kind: 'app', q: ask }, undefined, (answer, node) => {
      for (const id of (answer as string[] | null) ?? []) {
        online.add(id);
        this.layer.transitions.holders.saw(userKey(app.id, id), node, true); // so we can take it offline if that node dies
      }
    });
    if (conn.closed || conn.watchlist !== watchlist) return;
    this.#told.set(ws, new Set(watchlist.filter((id) => online.has(id))));
    ws.send(watchlistEvents([...online], watchlist.filter((id) => !online.has(id))));
  }

  /** The socket is no longer signed in (closed, or signing in again). */
  signOut(ws: Socket, app: ResolvedApp): void {
    const conn = pusherOf(ws);
    if (conn.userId === undefined) return;
    if (this.layer.registry.signOut(keyOf(app.id, conn.userId), ws)) this.layer.transitions.remove(userKey(app.id, conn.userId));
    for (const id of conn.watchlist ?? []) {
      const key = keyOf(app.id, id);
      const set = this.#watchers.get(key);
      if (set?.delete(ws) && set.size === 0) {
        this.#watchers.delete(key);
        this.#changedAt.delete(key);
      }
    }
    this.#told.delete(ws);
    conn.userId = undefined;
    conn.watchlist = undefined;
  }

  /** Which of `ids` are signed in on this node. */
  online(app: string, ids: string[]): string[] {
    return ids.filter((id) => this.layer.registry.signedIn(keyOf(app, id)).length > 0);
  }

  /** A user went online or offline cluster-wide (this node announces it): tell the watchers on every node. */
  announce(app: string, userId: string, online: boolean): void {
    this.notify(app, userId, online);
    this.layer.node.adapter.tell({ p: 'watch', app, user: userId, online });
  }

  /** Tells this node's watchers of `userId`. */
  notify(app: string, userId: string, online: boolean): void {
    const key = keyOf(app, userId);
    if (!this.#watchers.has(key)) return;
    this.#changedAt.set(key, Date.now());
    this.#tell(key, userId, online);
  }

  /** Each watcher of `key` that was not told `userId` is `online` (or offline) is told now. */
  #tell(key: string, userId: string, online: boolean): void {
    const payload = online ? watchlistEvents([userId], []) : watchlistEvents([], [userId]);
    for (const ws of this.#watchers.get(key) ?? []) {
      const told = this.#told.get(ws); // none yet: its sign-in's answer is still out, and comes after this
      if (told?.has(userId) === online) continue;
      if (online) told?.add(userId);
      else told?.delete(userId);
      ws.send(payload);
    }
  }

  /**
   * After this node's link came back: who of the watched users is online, asked of every node, and each watcher told
   * what changed. A user whose change reached us after the question went out keeps it; one nobody lists goes offline
   * only when every node answered. Resolves whether every node did (else resync.ts asks again).
   */
  async reread(): Promise<boolean> {
    const byApp = new Map<string, string[]>();
    for (const key of this.#watchers.keys()) {
      const at = key.indexOf('\u0000');
      const app = key.slice(0, at);
      (byApp.get(app) ?? byApp.set(app, []).get(app)!).push(key.slice(at + 1));
    }
    let complete = true;
    for (const [app, ids] of byApp) {
      for (let i = 0; i < ids.length; i += REREAD_BATCH) {
        const batch = ids.slice(i, i + REREAD_BATCH);
        const since = Date.now();
        const online = new Set(this.online(app, batch));
        const { complete: whole } = await this.layer.askNodes({ p: 'online', app, ids: batch }, (answer, node) => {
          for (const id of (answer as string[] | null) ?? []) {
            online.add(id);
            this.layer.transitions.holders.saw(userKey(app, id), node, true);
          }
        });
        complete &&= whole;
        for (const id of batch) {
          const key = keyOf(app, id);
          if ((this.#changedAt.get(key) ?? 0) >= since) continue;
          if (online.has(id) || whole) this.#tell(key, id, online.has(id));
        }
      }
    }
    return complete;
  }
}
