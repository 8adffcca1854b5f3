// This node's channels: who is subscribed to what, presence users, signed-in users (cache channels: cache.ts).
// Only local sockets are here; the rest of the cluster is asked (see server.ts), never copied.
import type { Socket } from '../server/node';

export interface Member {
  id: string;
  info: unknown;
}

/** Keys: app id and channel (or user id) joined by NUL, which no id or channel name contains. */
export const keyOf = (app: string, name: string) => `${app}\u0000${name}`;

/** Bun topic of a channel: NUL-prefixed, so no user topic (checkTopic refuses NUL) can collide with it. */
export const topicOf = (key: string) => `\u0000pusher\u0000${key}`;

export class Registry {
  readonly #subscribers = new Map<string, Set<Socket>>();
  readonly #users = new Map<string, Map<string, { info: unknown; sockets: Set<Socket> }>>();
  readonly #signedIn = new Map<string, Set<Socket>>();

  /** Adds a subscriber; true when it is the channel's first on this node. */
  subscribe(key: string, ws: Socket): boolean {
    let set = this.#subscribers.get(key);
    if (!set) this.#subscribers.set(key, (set = new Set()));
    set.add(ws);
    return set.size === 1;
  }

  /** Removes a subscriber; true when the channel has none left on this node. */
  unsubscribe(key: string, ws: Socket): boolean {
    const set = this.#subscribers.get(key);
    if (!set?.delete(ws)) return false;
    if (set.size > 0) return false;
    this.#subscribers.delete(key);
    return true;
  }

  subscribers(key: string): ReadonlySet<Socket> {
    return this.#subscribers.get(key) ?? new Set();
  }

  /** Adds a presence socket; true when it is that user's first socket in the channel on this node. */
  join(key: string, member: Member, ws: Socket): boolean {
    let users = this.#users.get(key);
    if (!users) this.#users.set(key, (users = new Map()));
    const user = users.get(member.id);
    if (user) {
      user.sockets.add(ws);
      user.info = member.info; // the latest authorization wins, as with Pusher
      return false;
    }
    users.set(member.id, { info: member.info, sockets: new Set([ws]) });
    return true;
  }

  /** Removes a presence socket; true when the user has no socket left in the channel on this node. */
  leave(key: string, userId: string, ws: Socket): boolean {
    const users = this.#users.get(key);
    const user = users?.get(userId);
    if (!user?.sockets.delete(ws) || user.sockets.size > 0) return false;
    users!.delete(userId);
    if (users!.size === 0) this.#users.delete(key);
    return true;
  }

  /** Presence users of a channel on this node. */
  members(key: string): Member[] {
    return [...(this.#users.get(key) ?? [])].map(([id, user]) => ({ id, info: user.info }));
  }

  /** How many presence users the channel has here. */
  memberCount(key: string): number {
    return this.#users.get(key)?.size ?? 0;
  }

  /** The user_info a presence user joined with here (undefined: not a member on this node). */
  memberInfo(key: string, userId: string): unknown {
    return this.#users.get(key)?.get(userId)?.info;
  }

  userSockets(key: string, userId: string): ReadonlySet<Socket> {
    return this.#users.get(key)?.get(userId)?.sockets ?? new Set();
  }

  /**
   * Channels of one app with subscribers here: name, local subscriber count and (with `users`) local presence user
   * ids, until about `budget` bytes of names and ids are listed; `more` says some were left out.
   */
  channels(app: string, prefix: string, users: boolean, budget: number): { list: { name: string; subscriptions: number; users: string[] }[]; more: boolean } {
    const start = keyOf(app, prefix);
    const list = [];
    let bytes = 0;
    for (const [key, set] of this.#subscribers) {
      if (!key.startsWith(start)) continue;
      const ids = users ? [...(this.#users.get(key)?.keys() ?? [])] : [];
      bytes += key.length + 32;
      for (const id of ids) bytes += id.length + 3;
      if (bytes > budget) return { list, more: true };
      list.push({ name: key.slice(app.length + 1), subscriptions: set.size, users: ids });
    }
    return { list, more: false };
  }

  /** One channel here: local subscribers and presence user ids, found by key (no scan). */
  channel(key: string): { subscriptions: number; users: string[] } {
    return { subscriptions: this.#subscribers.get(key)?.size ?? 0, users: [...(this.#users.get(key)?.keys() ?? [])] };
  }

  /** True when it is the user's first signed-in socket on this node. */
  signIn(key: string, ws: Socket): boolean {
    let set = this.#signedIn.get(key);
    if (!set) this.#signedIn.set(key, (set = new Set()));
    set.add(ws);
    return set.size === 1;
  }

  /** True when the user has no signed-in socket left on this node. */
  signOut(key: string, ws: Socket): boolean {
    const set = this.#signedIn.get(key);
    if (!set?.delete(ws) || set.size > 0) return false;
    this.#signedIn.delete(key);
    return true;
  }

  signedIn(key: string): Socket[] {
    return [...(this.#signedIn.get(key) ?? [])];
  }
}
