// The Pusher layer of one node: between the connection guards and the user's callbacks, it serves /app/{key}
// sockets and /apps/{id}/… requests. Local state lives in the Registry; the cluster is reached through the adapter's
// app messages (tell) and app queries (ask), answered here by the NodeExtension.
import type { Server } from 'bun';
import type { NodeExtension } from '../adapters/types';
import type { ResolvedApp, ResolvedConfig } from '../config/schema';
import { pathOf, queryParam } from '../http/path';
import { RateLimiter } from '../http/rate-limit';
import { describeError, logger } from '../log/logger';
import type { Conn, Node, Socket } from '../server/node';
import { channelType, userChannel } from './channel-names';
import { CacheChannels } from './cache';
import { answerGone, type GoneQuery, nodeGone } from './departures';
import { CLOSE, errorFrame, frame } from './frames';
import { handleApi } from './http-api';
import { Liveness } from './liveness';
import { MemberLists } from './member-lists';
import { handleFrame } from './protocol';
import { keyOf, type Member, Registry, topicOf } from './registry';
import { socketId } from './socket-id';
import { SubscriptionCounts } from './subscription-count';
import { type TransitionQuery, Transitions } from './transitions';
import { Users } from './users';
import { Webhooks } from './webhooks';

/** What ody keeps per Pusher socket, on its connection record (Conn.pusher). */
export interface PusherConn {
  /** null: the key named no app; the socket is told 4001 and closed as soon as it opens. */
  app: ResolvedApp | null;
  socketId: string;
  /** Subscribed channels, with the presence user each was joined as. */
  channels: Map<string, { userId?: string }>;
  /** Set by pusher:signin (users.ts). */
  userId?: string;
  /** User ids this signed-in socket watches (its user_data's watchlist). */
  watchlist?: string[];
  lastSeen: number;
  /** When the server's pusher:ping went out unanswered (0: none pending). */
  pingedAt: number;
  closed: boolean;
}

/** Messages between the Pusher layers of different nodes (Adapter.tell). */
type Told = { p: 'pub'; key: string; d: string; x: number[]; cache: boolean } | { p: 'term'; key: string } | { p: 'watch'; app: string; user: string; online: boolean };
/** Questions to the Pusher layers of other nodes (Adapter.ask, kind 'app'). */
type Asked = TransitionQuery | GoneQuery | { p: 'cache'; key: string } | { p: 'members'; key: string; fd?: number } | { p: 'channels'; app: string; prefix: string } | { p: 'online'; app: string; ids: string[] };

export const pusherOf = (ws: Socket) => ws.data.pusher as PusherConn;

export class PusherServer implements NodeExtension {
  readonly registry = new Registry();
  readonly transitions: Transitions;
  readonly webhooks: Webhooks;
  readonly users = new Users(this);
  readonly cache = new CacheChannels();
  readonly #apps: ResolvedApp[];
  readonly #clientEvents = new Map<string, RateLimiter<number>>();
  readonly #liveness: Liveness;
  readonly #counts: SubscriptionCounts;
  readonly #maxBodySize: number;
  /** Each presence member reaches a joiner once, in its list or by an event (member-lists.ts). */
  readonly #lists = new MemberLists();
  readonly log = logger.withTag('pusher');

  constructor(
    config: ResolvedConfig,
    readonly node: Node,
  ) {
    this.#apps = config.apps;
    this.#maxBodySize = config.api.maxBodySize;
    for (const app of this.#apps) this.#clientEvents.set(app.id, new RateLimiter(app.clientEventsPerSecond, 1));
    this.webhooks = new Webhooks(this);
    this.transitions = new Transitions({
      ask: (query, each) => node.adapter.ask({ kind: 'app', q: query }, undefined, each),
      self: () => node.id,
      changed: (key, up, held) => this.#changed(key, up, held),
      held: (key) => this.webhooks.holds(key),
    });
    this.#counts = new SubscriptionCounts({
      count: async (app, channel) => (await this.channels(app, channel)).get(channel)?.subscriptions ?? 0,
      publish: (app, channel, payload) => this.publish(app, channel, payload),
    });
    node.extend(this);
    this.#liveness = new Liveness(this.#apps);
  }

  app(id: string): ResolvedApp | undefined {
    return this.#apps.find((a) => a.id === id);
  }

  get apps(): readonly ResolvedApp[] {
    return this.#apps;
  }

  /** Is this request ours: a WebSocket to /app/{key}, or the HTTP API under /apps/? */
  owns(request: Request, upgrade: boolean): boolean {
    const path = pathOf(request.url);
    return upgrade ? /^\/app\/[^/]+\/?$/.test(path) : path.startsWith('/apps/');
  }

  /** A request to the HTTP API (after the guards and the user's routes). */
  http = (request: Request): Promise<Response> => handleApi(this, request, this.#maxBodySize);

  /** The upgrade of a Pusher socket (after the guards; instead of onHandshake). An unknown key still upgrades, to be told 4001. */
  accept(request: Request, bun: Server<Conn>, fd: number, userData: Record<string, unknown> | undefined, peer: string): Response | undefined {
    const key = decodeURIComponent(pathOf(request.url).split('/')[2] ?? '');
    const pusher: PusherConn = { app: this.#apps.find((a) => a.key === key) ?? null, socketId: socketId(fd), channels: new Map(), lastSeen: Date.now(), pingedAt: 0, closed: false };
    const data: Conn = { fd, url: request.url, remoteAddress: peer, protocol: '', connectTime: 0, data: userData, request: undefined, pusher };
    try {
      if (bun.upgrade(request, { data })) return undefined;
    } catch (error) {
      this.log.debug(`upgrade of fd ${fd} failed: ${describeError(error)}`);
    }
    return new Response('Bad WebSocket handshake\n', { status: 400 });
  }

  opened(ws: Socket): void {
    const conn = pusherOf(ws);
    if (!conn.app) {
      ws.send(errorFrame(CLOSE.appNotFound, 'App key does not exist'));
      return ws.close(CLOSE.appNotFound, 'App key does not exist');
    }
    const protocol = queryParam(ws.data.url, 'protocol');
    if (protocol !== null && !['5', '6', '7'].includes(protocol)) {
      ws.send(errorFrame(CLOSE.unsupportedProtocol, `Unsupported protocol version ${protocol}`));
      return ws.close(CLOSE.unsupportedProtocol, 'Unsupported protocol version');
    }
    this.#liveness.add(ws);
    ws.send(frame('pusher:connection_established', JSON.stringify({ socket_id: conn.socketId, activity_timeout: conn.app.activityTimeout })));
  }

  message(ws: Socket, message: string | Buffer): void {
    const conn = pusherOf(ws);
    conn.lastSeen = Date.now();
    conn.pingedAt = 0;
    if (!conn.app || conn.closed) return;
    if (typeof message !== 'string') return void ws.send(errorFrame(null, 'Binary frames are not part of the protocol: send JSON text'));
    try {
      handleFrame(this, ws, conn.app, message);
    } catch (error) {
      this.log.error(`handling a message on fd ${ws.data.fd} failed: ${describeError(error)}`);
    }
  }

  closed(ws: Socket): void {
    const conn = pusherOf(ws);
    conn.closed = true;
    this.#liveness.delete(ws);
    if (!conn.app) return;
    this.#clientEvents.get(conn.app.id)?.forget(ws.data.fd);
    this.#lists.forget(ws);
    for (const channel of [...conn.channels.keys()]) this.leave(ws, conn.app, channel);
    this.users.signOut(ws, conn.app);
  }

  /** Graceful stop: 4200 tells pusher-js to reconnect at once (to another node, or this one restarted). */
  closeAll(): void {
    this.#liveness.stop();
    for (const ws of this.#liveness.sockets) ws.close(CLOSE.reconnect, 'Server shutting down, reconnect');
  }

  async stop(): Promise<void> {
    this.#liveness.stop();
    this.cache.stop();
    await this.webhooks.flush();
  }

  /** A socket joins a channel (its authorization already checked): registry, Bun topic, cluster transitions. */
  join(ws: Socket, app: ResolvedApp, channel: string, member?: Member): void {
    const conn = pusherOf(ws);
    const key = keyOf(app.id, channel);
    conn.channels.set(channel, { userId: member?.id });
    if (this.registry.subscribe(key, ws) && this.webhooks.wants(app, 'channel_occupied', 'channel_vacated')) this.transitions.add(`c\u0000${key}`);
    if (member && this.registry.join(key, member, ws)) {
      this.#lists.arrived(key, member.id);
      this.transitions.add(`m\u0000${key}\u0000${member.id}`);
    }
    ws.subscribe(topicOf(key));
    this.#lists.close(key, ws);
    if (app.subscriptionCount && !member) this.#counts.changed(app, channel);
  }

  leave(ws: Socket, app: ResolvedApp, channel: string): boolean {
    const conn = pusherOf(ws);
    const sub = conn.channels.get(channel);
    if (!sub) return false;
    conn.channels.delete(channel);
    const key = keyOf(app.id, channel);
    if (!conn.closed) ws.unsubscribe(topicOf(key));
    if (sub.userId !== undefined && this.registry.leave(key, sub.userId, ws)) {
      this.#lists.left(key, sub.userId);
      this.transitions.remove(`m\u0000${key}\u0000${sub.userId}`);
    }
    if (this.registry.unsubscribe(key, ws) && this.webhooks.wants(app, 'channel_occupied', 'channel_vacated')) this.transitions.remove(`c\u0000${key}`);
    if (app.subscriptionCount && sub.userId === undefined) this.#counts.changed(app, channel);
    return true;
  }

  /** Sends to a channel's subscribers on every node but the `except` fds; remembered for cache channels. */
  publish(app: ResolvedApp, channel: string, payload: string, except: number[] = []): void {
    const key = keyOf(app.id, channel);
    const cache = channelType(channel).cache;
    this.#deliver(key, payload, except, cache);
    this.node.adapter.tell({ p: 'pub', key, d: payload, x: except, cache } satisfies Told);
  }

  #deliver(key: string, payload: string, except: number[], cache: boolean): void {
    if (cache) this.cache.remember(key, payload);
    const topic = topicOf(key);
    const skipped = except.map((fd) => this.node.socket(fd)).filter((ws): ws is Socket => ws !== undefined);
    if (skipped.length === 0) return void this.node.bun.publish(topic, payload);
    if (skipped.length === 1) return void skipped[0]!.publish(topic, payload); // a socket's own publish skips itself
    // Several to skip: out of the topic for one synchronous publish, nothing can interleave.
    const out = skipped.filter((ws) => ws.isSubscribed(topic));
    for (const ws of out) ws.unsubscribe(topic);
    this.node.bun.publish(topic, payload);
    for (const ws of out) ws.subscribe(topic);
  }

  /** What a new subscriber of a cache channel gets: the last event here, else the newest on another node (cache.ts). */
  lastCached(app: ResolvedApp, channel: string): ReturnType<CacheChannels['last']> {
    const key = keyOf(app.id, channel);
    return this.cache.last(key, () => this.node.adapter.ask({ kind: 'app', q: { p: 'cache', key } satisfies Asked }));
  }

  /**
   * Presence members of a channel on every node, merged by user id (asked of the nodes that hold them). For a
   * `joiner`, the list is one it hears each member in exactly once, with the events after it (member-lists.ts).
   */
  async members(app: ResolvedApp, channel: string, joiner?: Socket): Promise<Map<string, unknown>> {
    const key = keyOf(app.id, channel);
    const out = new Map<string, unknown>();
    if (joiner) this.#lists.open(key, joiner, out);
    // Who holds which member is also what lets survivors announce a dead node's members (holders.ts).
    const seen = (list: unknown, node: number) => {
      for (const m of (list as Member[] | null) ?? []) this.transitions.holders.saw(`m\u0000${key}\u0000${m.id}`, node, true);
    };
    const fd = joiner?.data.fd;
    const answers = (await this.node.adapter.ask({ kind: 'app', q: { p: 'members', key, fd } satisfies Asked }, undefined, seen)) as (Member[] | null)[];
    for (const list of [this.#listing(key, fd), ...answers]) for (const m of list ?? []) if (!out.has(m.id)) out.set(m.id, m.info);
    // join() closes the window in the caller's next step; a refused join (channel full) never comes that far.
    if (joiner) setTimeout(() => this.#lists.close(key, joiner, out), 0);
    return out;
  }

  /** This node's members of a channel, for a list going to the joiner `fd` (when there is one). */
  #listing(key: string, fd?: number): Member[] {
    this.#lists.listed(key, fd, (userId) => this.transitions.settled(`m\u0000${key}\u0000${userId}`));
    return this.registry.members(key);
  }

  /** Occupied channels of an app on every node: subscriptions summed, presence users merged. */
  async channels(app: ResolvedApp, prefix = ''): Promise<Map<string, { subscriptions: number; users: Set<string> }>> {
    const answers = (await this.node.adapter.ask({ kind: 'app', q: { p: 'channels', app: app.id, prefix } satisfies Asked })) as (ReturnType<Registry['channels']> | null)[];
    const out = new Map<string, { subscriptions: number; users: Set<string> }>();
    for (const list of [this.registry.channels(app.id, prefix), ...answers]) {
      for (const c of list ?? []) {
        const entry = out.get(c.name) ?? { subscriptions: 0, users: new Set<string>() };
        entry.subscriptions += c.subscriptions;
        for (const u of c.users) entry.users.add(u);
        out.set(c.name, entry);
      }
    }
    return out;
  }

  /** Closes a signed-in user's sockets on every node (the API's terminate_connections). */
  terminate(app: ResolvedApp, userId: string): void {
    const key = keyOf(app.id, userId);
    this.#terminate(key);
    this.node.adapter.tell({ p: 'term', key } satisfies Told);
  }

  #terminate(key: string): void {
    for (const ws of this.registry.signedIn(key)) {
      ws.send(errorFrame(CLOSE.unauthorized, 'Connection terminated by the server'));
      ws.close(CLOSE.unauthorized, 'Connection terminated');
    }
  }

  clientEventAllowed(app: ResolvedApp, fd: number): boolean {
    return this.#clientEvents.get(app.id)!.take(fd);
  }

  /** A cluster-wide transition this node announces: member events to the channel, webhooks. */
  #changed(tkey: string, up: boolean, held: boolean): void {
    const [kind, appId, channel, userId] = tkey.split('\u0000') as [string, string, string, string?];
    const app = this.app(appId);
    if (!app) return;
    if (kind === 'u') return this.users.announce(appId, channel, up); // `channel` is the user id here
    if (kind === 'm') {
      const key = keyOf(appId, channel);
      const info = this.registry.memberInfo(key, userId!);
      const listed = this.#lists.announced(key, userId!, up); // joiners whose list already says so
      if (up) {
        const except = [...[...this.registry.userSockets(key, userId!)].map((ws) => ws.data.fd), ...listed];
        this.publish(app, channel, frame('pusher_internal:member_added', JSON.stringify({ user_id: userId, user_info: info }), channel), except);
      } else {
        this.publish(app, channel, frame('pusher_internal:member_removed', JSON.stringify({ user_id: userId }), channel), listed);
      }
      this.#lists.follow(key, userId!, up, info);
      this.webhooks.transition(app, tkey, up, held, { name: up ? 'member_added' : 'member_removed', channel, user_id: userId });
    } else {
      this.webhooks.transition(app, tkey, up, held, { name: up ? 'channel_occupied' : 'channel_vacated', channel });
    }
  }

  /** Does any node hold `tkey` now (a transitions key)? For held-back departures, checked when they fall due. */
  async present(tkey: string): Promise<boolean> {
    if (this.transitions.count(tkey) > 0) return true;
    const answers = (await this.node.adapter.ask({ kind: 'app', q: { p: 'tr', key: tkey, from: -1, intent: 'join' } satisfies Asked })) as ({ phase: string | null } | null)[];
    return answers.some((a) => a?.phase === 'steady' || a?.phase === 'joining');
  }

  // -- NodeExtension: what other nodes' Pusher layers send and ask --
  told(_from: number, data: unknown): void {
    const told = data as Told;
    if (told.p === 'pub') {
      this.#deliver(told.key, told.d, told.x, told.cache);
      // Read only while a joiner's list of this channel is being built here (member-lists.ts).
      if (this.#lists.watching(told.key) && told.d.startsWith('{"event":"pusher_internal:member_')) {
        const event = JSON.parse(told.d) as { event: string; data: string };
        const m = JSON.parse(event.data) as { user_id: string; user_info?: unknown };
        this.#lists.follow(told.key, m.user_id, event.event === 'pusher_internal:member_added', m.user_info);
      }
    } else if (told.p === 'term') this.#terminate(told.key);
    else if (told.p === 'watch') this.users.notify(told.app, told.user, told.online);
  }

  answer(query: unknown): unknown {
    const asked = query as Asked;
    switch (asked.p) {
      case 'tr':
        return asked.from === -1 ? { phase: this.transitions.count(asked.key) > 0 ? 'steady' : null, held: false } : this.transitions.answer(asked);
      case 'gone':
        return answerGone(asked, this.transitions);
      case 'members':
        return this.#listing(asked.key, asked.fd);
      case 'channels':
        return this.registry.channels(asked.app, asked.prefix);
      case 'cache':
        return this.cache.local(asked.key) ?? null;
      case 'online':
        return this.users.online(asked.app, asked.ids);
    }
  }

  /** A node left (said bye, exited, or went silent): announce the departures it can no longer announce. */
  nodeLeft(id: number): void {
    nodeGone(id, {
      transitions: this.transitions,
      ask: (query, each) => this.node.adapter.ask({ kind: 'app', q: query satisfies Asked }, undefined, each),
      self: () => this.node.id,
      departed: (key) => this.#changed(key, false, false),
    }).catch((error) => this.log.error(`announcing what node ${id} held failed: ${describeError(error)}`));
  }

  userChannel(userId: string): string {
    return userChannel(userId);
  }
}
