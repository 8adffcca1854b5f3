// What makes a presence joiner hear of each member exactly once, in its subscription_succeeded list or by one
// member_added / member_removed, never both and never neither, while other members come and go on any node.
//
// A join asks every node for its members (server.ts members()), and arrivals and departures are announced by a
// transitions round (transitions.ts) a round trip after the registry changed. Two races follow, measured by the
// presence bench at ~2% of all member_added on 2 nodes before this file:
// - a node lists a member whose arrival is not announced yet, and the joiner, subscribed by the time the
//   announcement comes, hears it twice; a departure not yet announced is the same race the other way round
//   (listed without the member, then told it left). So each node notes, on its local members whose arrival or
//   departure is not announced yet, the fd of every joiner it listed them for (or without them), and the
//   announcement skips those fds, on every node (Told 'pub' carries them as `x`).
// - an arrival announced after its node answered, but delivered to the joiner's node before the joiner subscribed,
//   reaches it neither way. So the list being built follows the member events delivered on the joiner's node until
//   the joiner is subscribed (a window per joiner, closed by join()).
// Kept per node, by user id and fd only; nothing here is asked of other nodes.

type Pending = Map<string, Map<string, Set<number>>>;

export class MemberLists {
  /** Per channel key: joiners waiting for the member list, each with the list as built so far. */
  readonly #windows = new Map<string, Map<object, Map<string, unknown>>>();
  /** Per channel key: local users whose arrival is not announced yet, with the joiner fds that listed them. */
  readonly #arriving: Pending = new Map();
  /** Per channel key: local users that left, departure not announced yet, with the joiner fds listed without them. */
  readonly #departing: Pending = new Map();

  /** `joiner` waits for the list of `key`: member events delivered meanwhile are applied to `list`. */
  open(key: string, joiner: object, list: Map<string, unknown>): void {
    (this.#windows.get(key) ?? this.#windows.set(key, new Map()).get(key)!).set(joiner, list);
  }

  /** The joiner is subscribed (it hears member events itself now), or it closed; with `list`, only that window. */
  close(key: string, joiner: object, list?: Map<string, unknown>): void {
    const waiting = this.#windows.get(key);
    if (list && waiting?.get(joiner) !== list) return;
    if (waiting?.delete(joiner) && waiting.size === 0) this.#windows.delete(key);
  }

  forget(joiner: object): void {
    for (const key of [...this.#windows.keys()]) this.close(key, joiner);
  }

  /** Are lists of `key` being built here (so its member events are worth reading)? */
  watching(key: string): boolean {
    return this.#windows.has(key);
  }

  /** A member event delivered here: lists still being built for joiners of the channel follow it. */
  follow(key: string, userId: string, up: boolean, info: unknown): void {
    for (const list of this.#windows.get(key)?.values() ?? []) {
      if (up) list.set(userId, info);
      else list.delete(userId);
    }
  }

  /** A local user's first socket joined: its arrival is to be announced. */
  arrived(key: string, userId: string): void {
    settle(this.#departing, key, userId); // back before its departure was announced
    const users = this.#arriving.get(key) ?? this.#arriving.set(key, new Map()).get(key)!;
    if (!users.has(userId)) users.set(userId, new Set()); // back before its arrival was announced: keep who listed it
  }

  /** A local user's last socket left: its departure is to be announced. */
  left(key: string, userId: string): void {
    (this.#departing.get(key) ?? this.#departing.set(key, new Map()).get(key)!).set(userId, new Set());
  }

  /**
   * A list of `key`'s local members goes to joiner `fd`: noted on the arrivals and departures not announced yet.
   * `settled(userId)`: a finished join round says this node holds the user (transitions.ts); rounds that ended
   * without an announcement here leave the announcement to another node, and the joiner hears it from there.
   */
  listed(key: string, fd: number | undefined, settled: (userId: string) => boolean): void {
    note(this.#arriving, key, fd, (id) => settled(id));
    note(this.#departing, key, fd, (id) => !settled(id));
  }

  /** This node announces the arrival (up) or departure of `userId`: the joiner fds that event must skip. */
  announced(key: string, userId: string, up: boolean): number[] {
    const pending = up ? this.#arriving : this.#departing;
    const fds = [...(pending.get(key)?.get(userId) ?? [])];
    settle(pending, key, userId);
    if (!up) settle(this.#arriving, key, userId);
    return fds;
  }
}

function settle(pending: Pending, key: string, userId: string): void {
  const users = pending.get(key);
  if (users?.delete(userId) && users.size === 0) pending.delete(key);
}

function note(pending: Pending, key: string, fd: number | undefined, done: (userId: string) => boolean): void {
  const users = pending.get(key);
  for (const [id, fds] of users ?? []) {
    if (done(id)) users!.delete(id);
    else if (fd !== undefined) fds.add(fd);
  }
  if (users?.size === 0) pending.delete(key);
}
