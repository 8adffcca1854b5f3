// The Pusher layer of one node: between the connection guards and the user's callbacks, it serves /app/{key}
// sockets and /apps/{id}/… requests. Local state lives in the Registry; the cluster is reached through the adapter's
// app messages (tell) and app queries (ask), answered here by the NodeExtension.
import type { Server } from 'bun';
import { type Answers, answeredAll, type NodeExtension } from '../adapters/types';
import type { ResolvedApp, ResolvedConfig } from '../config/schema';
import { decodeSegment, keySegment, pathOf, queryParam } from '../http/path';
import { RateLimiter } from '../http/rate-limit';
import { describeError, logger } from '../log/logger';
import type { Conn, Node, Socket } from '../server/node';
import { channelType, userChannel } from './channel-names';
import { CacheChannels } from './cache';
import { type Budget, exhaust, spend } from './budget';
import { answerGone, type GoneQuery, nodeGone } from './departures';
import { FrameQueue } from './frame-queue';
import { CLOSE, errorFrame, frame } from './frames';
import { handleApi } from './http-api';
import { Liveness } from './liveness';
import { answerListing, countChannels, type Listing, type ListingHooks, type ListingQuery, listChannels } from './listing';
import { Presence } from './presence';
import { handleFrame } from './protocol';
import { keyOf, type Member, Registry, topicOf } from './registry';
import type { SeatQuery } from './seats';
import { socketId } from './socket-id';
import { SubscriptionCounts } from './subscription-count';
import { type TransitionQuery, Transitions } from './transitions';
import { Users } from './users';
import { Resync } from './resync';
import { Webhooks } from './webhooks';
import { admit } from '../apps/admit';
import { AppLimits } from '../apps/limits';
import { AppManager } from '../apps/manager';
import { AppStats } from '../apps/stats';
import { nodeView, subscribersHere } from '../apps/dashboard/node-view';

/** What ody keeps per Pusher socket, on its connection record (Conn.pusher); its frame budget too (budget.ts). */
export interface PusherConn extends Budget {
  /** null until the app is looked up and its limits let the socket in (src/apps: admit); messages wait for it. */
  app: ResolvedApp | null;
  /** The key in /app/{key} and the browser's Origin, for the app lookup and its allowedOrigins. */
  key: string;
  origin: string | null;
  /** The app id this socket is counted against (maxConnections), released when it closes. */
  counted?: string;
  socketId: string;
  /** Subscribed channels, with the presence user each was joined as. */
  channels: Map<string, { userId?: string }>;
  /** Subscriptions admitted but not yet joined (a presence subscribe awaits the member list): they count toward maxChannelsPerConnection. */
  joining: number;
  /** Set by pusher:signin (users.ts). */
  userId?: string;
  /** User ids this signed-in socket watches (its user_data's watchlist). */
  watchlist?: string[];
  lastSeen: number;
  /** When the server's pusher:ping went out unanswered (0: none pending). */
  pingedAt: number;
  closed: boolean;
}

/** A member event in a publish (`u` added or removed, with its info), checked against the views before delivery. */
export type MemberMark = { u: string; up: boolean; i?: unknown };
/** Messages between the Pusher layers of different nodes (Adapter.tell); 'disable' comes from src/apps/dashboard. */
export type Told = { p: 'back' } | { p: 'disable'; app: string } | { p: 'pub'; key: string; d: string; x: number[]; cache: boolean; m?: MemberMark } | { p: 'term'; key: string } | { p: 'watch'; app: string; user: string; online: boolean } | { p: 'settled'; key: string };
/** Questions to the Pusher layers of other nodes (Adapter.ask, kind 'app'); 'conns', 'dash', 'subs' are src/apps/'s. */
export type Asked = TransitionQuery | GoneQuery | SeatQuery | { p: 'conns'; app: string } | { p: 'dash'; since: number } | { p: 'subs'; app: string; channel: string } | { p: 'cache'; key: string } | { p: 'members'; key: string } | ListingQuery | { p: 'online'; app: string; ids: string[] };

export const pusherOf = (ws: Socket) => ws.data.pusher as PusherConn;

export class PusherServer implements NodeExtension {
  readonly registry = new Registry();
  readonly transitions: Transitions;
  readonly webhooks: Webhooks;
  readonly users = new Users(this);
  readonly cache = new CacheChannels();
  /** Apps from the config or a database, and their per-app limits (src/apps/). */
  readonly appStore: AppManager;
  readonly limits: AppLimits;
  /** Per-app traffic samples for the dashboard (src/apps/stats.ts). */
  readonly stats = new AppStats(() => this.limits.allConnections);
  /** Presence lists: seats of joins under way, what the clients here were told (presence.ts). */
  readonly presence = new Presence(this);
  readonly resync: Resync;
  readonly #clientEvents = new Map<string, RateLimiter<number>>();
  /** Frames beyond a turn's share wait here (frame-queue.ts). */
  readonly #frames = new FrameQueue<Socket, string | Buffer>((ws, message) => this.#handle(ws, message));
  readonly #liveness: Liveness;
  readonly #counts: SubscriptionCounts;
  readonly #listing: ListingHooks;
  readonly #maxBodySize: number;
  readonly log = logger.withTag('pusher');

  constructor(
    config: ResolvedConfig,
    readonly node: Node,
  ) {
    this.limits = new AppLimits(node.machine.counters);
    this.appStore = AppManager.fromConfig(config).start();
    this.appStore.onDisabled = (app) => this.#closeApp(app);
    this.#maxBodySize = config.api.maxBodySize;
    this.webhooks = new Webhooks(this);
    this.transitions = new Transitions({
      ask: (query, each) => this.askAll(query, each),
      self: () => node.id,
      changed: (key, up, held, blind) => this.#changed(key, up, held, blind),
      held: (key) => this.webhooks.holds(key),
      blind: (key) => this.webhooks.arrivals.holds(key),
      unsettled: (key, joining) => (joining ? this.announceBack(key, true) : this.webhooks.vouch(key)),
    });
    this.#listing = {
      registry: this.registry,
      ask: async (query) => {
        const peers = node.adapter.status().peers; // the nodes ask() is about to ask, counted in the same turn
        const answers = await node.adapter.ask({ kind: 'app', q: query satisfies Asked });
        return { answers, peers: peers - (answers.left ?? 0) }; // a node that left meanwhile owes no answer
      },
    };
    this.#counts = new SubscriptionCounts({
      count: async (app, channels) => {
        const { channels: found, incomplete } = await countChannels(this.#listing, app, channels);
        return incomplete ? undefined : new Map(channels.map((c) => [c, found.get(c)?.subscriptions ?? 0]));
      },
      publish: (app, channel, payload) => this.publish(app, channel, payload),
      error: (error) => this.log.error(`counting subscriptions failed: ${describeError(error)}`),
    });
    node.extend(this);
    this.#liveness = new Liveness(config.apps);
    this.resync = new Resync(this);
  }

  /**
   * Asks every other node's Pusher layer; `complete`: every node that owes an answer gave one (answeredAll, with the
   * status taken in the turn the question went out, so the peers counted are the peers asked).
   */
  async askNodes(query: Asked, each?: (answer: unknown, node: number) => void): Promise<{ answers: Answers; complete: boolean }> {
    const asked = this.node.adapter.status();
    const answers = await this.node.adapter.ask({ kind: 'app', q: query }, undefined, each);
    return { answers, complete: answeredAll(asked, answers) };
  }

  /** Asks every other node; resolves whether every node that owes an answer gave one. */
  async askAll(query: Asked, each: (answer: unknown, node: number) => void): Promise<boolean> {
    return (await this.askNodes(query, each)).complete;
  }

  /** An app known to this process (cached, for database apps). */
  app(id: string): ResolvedApp | undefined {
    return this.appStore.cachedById(id) ?? undefined;
  }

  /** An app by id, read from the database when not cached (the HTTP API). */
  findApp(id: string): Promise<ResolvedApp | null> {
    return this.appStore.findById(id);
  }

  get apps(): readonly ResolvedApp[] {
    return this.appStore.known;
  }

  /** Is this HTTP request ours: the API under /apps/? (Sockets: socketKey.) */
  ownsApi(request: Request): boolean {
    return pathOf(request.url).startsWith('/apps/');
  }

  /** A request to the HTTP API (after the guards and the user's routes). */
  http = (request: Request): Promise<Response> => handleApi(this, request, this.#maxBodySize);

  /** The still percent-encoded app key of a Pusher socket request ('/app/{key}'), or null for any other path. */
  socketKey(request: Request): string | null {
    return keySegment(pathOf(request.url));
  }

  /**
   * The upgrade of a Pusher socket (after the guards; instead of onHandshake), `segment` its socketKey. An unknown key
   * still upgrades, to be told 4001.
   */
  accept(request: Request, bun: Server<Conn>, fd: number, userData: Record<string, unknown> | undefined, peer: string, segment = this.socketKey(request)): Response | undefined {
    const key = decodeSegment(segment ?? '');
    if (key === undefined) return new Response('Bad request: malformed percent-escape in the app key\n', { status: 400 });
    const pusher: PusherConn = { app: null, key, origin: request.headers.get('origin'), socketId: socketId(fd), channels: new Map(), joining: 0, lastSeen: Date.now(), pingedAt: 0, closed: false, budget: Number.POSITIVE_INFINITY, budgetAt: 0 };
    const data: Conn = { fd, url: request.url, remoteAddress: peer, protocol: '', connectTime: 0, data: userData, request: undefined, pusher };
    try {
      if (bun.upgrade(request, { data })) return undefined;
    } catch (error) {
      this.log.debug(`upgrade of fd ${fd} failed: ${describeError(error)}`);
    }
    return new Response('Bad WebSocket handshake\n', { status: 400 });
  }

  /** A cached app (always, for config apps) is admitted in this turn; a database lookup answers later. */
  opened(ws: Socket): void {
    const conn = pusherOf(ws);
    const found = this.appStore.cachedByKey(conn.key);
    if (found !== undefined) return admit(this, ws, found, this.#established);
    void this.appStore.findByKey(conn.key).then((app) => conn.closed || admit(this, ws, app, this.#established));
  }

  /** After the app's limits let the socket in (src/apps/admit.ts): it may now speak the protocol. One function, no closure per socket. */
  readonly #established = (ws: Socket, app: ResolvedApp): void => {
    const conn = pusherOf(ws);
    if (conn.closed) return;
    conn.app = app;
    this.#liveness.add(ws);
    // Made by hand: sent once per connection, and neither part needs escaping (a socket id is digits and a dot).
    ws.send(`{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"${conn.socketId}\\",\\"activity_timeout\\":${app.activityTimeout}}"}`);
  };

  /** An app disabled or removed in its database: its sockets here are told 4003 and closed. */
  #closeApp(app: ResolvedApp): void {
    for (const ws of this.#liveness.sockets) {
      if (pusherOf(ws).app !== app) continue;
      ws.send(errorFrame(CLOSE.appDisabled, 'App is disabled'));
      ws.close(CLOSE.appDisabled, 'App is disabled');
    }
  }

  message(ws: Socket, message: string | Buffer): void {
    const conn = pusherOf(ws);
    const now = Date.now();
    conn.lastSeen = now;
    conn.pingedAt = 0;
    if (!conn.app || conn.closed) return;
    if (!spend(conn, conn.app, now)) return this.#overBudget(ws, conn.app);
    this.#frames.push(ws, message);
  }

  /** A frame within the socket's budget, in its turn (frame-queue.ts). */
  #handle(ws: Socket, message: string | Buffer): void {
    const conn = pusherOf(ws);
    if (!conn.app || conn.closed) return;
    this.stats.received(conn.app.id);
    if (typeof message !== 'string') return void ws.send(errorFrame(null, 'Binary frames are not part of the protocol: send JSON text'));
    try {
      handleFrame(this, ws, conn.app, message);
    } catch (error) {
      this.log.error(`handling a message on fd ${ws.data.fd} failed: ${describeError(error)}`);
    }
  }

  /** Over messagesPerSecond (budget.ts): told why and closed, once; its later frames are dropped unread. */
  #overBudget(ws: Socket, app: ResolvedApp): void {
    if (!exhaust(pusherOf(ws))) return;
    this.node.counters.overBudget++;
    ws.send(errorFrame(CLOSE.overBudget, `More than ${app.messagesPerSecond} messages per second`));
    ws.close(CLOSE.overBudget, 'Message rate over budget');
  }

  closed(ws: Socket): void {
    const conn = pusherOf(ws);
    conn.closed = true;
    this.#liveness.delete(ws);
    this.#frames.forget(ws);
    if (conn.counted !== undefined) this.limits.release(conn.counted);
    if (!conn.app) return;
    this.#clientEvents.get(conn.app.id)?.forget(ws.data.fd);
    for (const channel of conn.channels.keys()) this.leave(ws, conn.app, channel); // leave deletes only the entry being visited
    this.users.signOut(ws, conn.app);
  }

  /** Graceful stop: 4200 tells pusher-js to reconnect at once (to another node, or this one restarted). */
  closeAll(): void {
    this.#liveness.stop();
    for (const ws of this.#liveness.sockets) ws.close(CLOSE.reconnect, 'Server shutting down, reconnect');
  }

  /**
   * After the sockets closed: their leave rounds finish and the departures they held back are settled (checked and
   * sent) by `deadline`, the end of the shutdown budget, before the last webhooks are flushed.
   */
  async stop(deadline = Date.now()): Promise<void> {
    this.#liveness.stop();
    this.resync.stop();
    this.cache.stop();
    const late = Bun.sleep(Math.max(0, deadline - Date.now()));
    await Promise.race([this.transitions.idle(), late]);
    await this.webhooks.settle(deadline);
    await this.webhooks.flush();
    await this.appStore.stop();
    this.stats.stop();
  }

  /** A socket joins a channel (its authorization already checked): registry, Bun topic, cluster transitions. */
  join(ws: Socket, app: ResolvedApp, channel: string, member?: Member): void {
    const conn = pusherOf(ws);
    const key = keyOf(app.id, channel);
    conn.channels.set(channel, member ? { userId: member.id } : NO_MEMBER);
    if (this.registry.subscribe(key, ws) && this.webhooks.wants(app, 'channel_occupied', 'channel_vacated')) this.transitions.add(`c\u0000${key}`);
    if (member && this.registry.join(key, member, ws)) this.transitions.add(`m\u0000${key}\u0000${member.id}`);
    ws.subscribe(topicOf(key));
    if (app.subscriptionCount && !member) this.#counts.changed(app, channel);
  }

  leave(ws: Socket, app: ResolvedApp, channel: string): boolean {
    const conn = pusherOf(ws);
    const sub = conn.channels.get(channel);
    if (!sub) return false;
    conn.channels.delete(channel);
    const key = keyOf(app.id, channel);
    if (!conn.closed) ws.unsubscribe(topicOf(key));
    if (sub.userId !== undefined && this.registry.leave(key, sub.userId, ws)) this.transitions.remove(`m\u0000${key}\u0000${sub.userId}`);
    const last = this.registry.unsubscribe(key, ws);
    if (last) this.presence.settle(key);
    if (last && this.webhooks.wants(app, 'channel_occupied', 'channel_vacated')) this.transitions.remove(`c\u0000${key}`);
    if (app.subscriptionCount && sub.userId === undefined) this.#counts.changed(app, channel);
    return true;
  }

  /** Sends to a channel's subscribers on every node but the `except` fds; remembered for cache channels. */
  publish(app: ResolvedApp, channel: string, payload: string, except: number[] = [], mark?: MemberMark): void {
    const key = keyOf(app.id, channel);
    const cache = channelType(channel).cache;
    this.#deliver(key, payload, except, cache, mark);
    this.node.adapter.tell({ p: 'pub', key, d: payload, x: except, cache, ...(mark ? { m: mark } : {}) } satisfies Told);
  }

  #deliver(key: string, payload: string, except: number[], cache: boolean, mark?: MemberMark): void {
    if (cache) this.cache.remember(key, payload);
    if (mark) {
      // A departure of someone who is connected here is stale (we were judged dead, and are not): not news.
      if (!mark.up && this.registry.userSockets(key, mark.u).size > 0) return;
      if (!this.presence.views.admit(key, mark.u, mark.up, mark.i)) return;
    }
    const topic = topicOf(key);
    const skipped = except.map((fd) => this.node.socket(fd)).filter((ws): ws is Socket => ws !== undefined);
    this.stats.sent(key.slice(0, key.indexOf('\u0000')), this.registry.subscribers(key).size - skipped.length);
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
   * Presence members of a channel on every node, merged by user id (asked of the nodes that hold them).
   * `incomplete`: some node did not answer in time (or this node's link is down), so the list may be short (the HTTP
   * API answers 503 then).
   */
  async members(app: ResolvedApp, channel: string): Promise<Map<string, unknown> & { incomplete?: boolean }> {
    const list = await this.presence.gather(app, channel);
    return Object.assign(list.members, { incomplete: !list.complete });
  }

  /** Occupied channels of an app (by name prefix) on every node: subscriptions summed, presence users (with `users`) merged. */
  channels(app: ResolvedApp, prefix = '', users = true): Promise<Listing> {
    return listChannels(this.#listing, app, prefix, users);
  }

  /** The named channels on every node (occupied ones only), counted by name: no node scans its channels. */
  counts(app: ResolvedApp, names: string[]): Promise<Listing> {
    return countChannels(this.#listing, app, names);
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

  /** Why a client event is refused, or undefined: per socket (clientEventsPerSecond), then for the whole app (maxClientEventsPerSecond). */
  clientEventRefused(app: ResolvedApp, fd: number): string | undefined {
    let limiter = this.#clientEvents.get(app.id);
    if (limiter?.limit !== app.clientEventsPerSecond) this.#clientEvents.set(app.id, (limiter = new RateLimiter(app.clientEventsPerSecond, 1, limiter)));
    if (!limiter.take(fd)) return `Client event rejected: more than ${app.clientEventsPerSecond} per second`;
    if (!this.limits.clientEvent(app)) return `Client event rejected: the app allows ${app.maxClientEventsPerSecond} per second`;
    return undefined;
  }

  /**
   * A key whose departure this node announced is held again by the node it was announced for (resync.ts): the
   * arrival webhooks the backend is owed, and watchers told the user is online. Clients hear of members through
   * their views (Presence.show), which carry the member data this node does not have. `blind`: a join found only
   * holders whose arrival webhook is unsettled (transitions.ts): the webhook joins theirs, held back (arrivals.ts).
   */
  announceBack(tkey: string, blind = false): void {
    const [kind, appId, channel, userId] = tkey.split('\u0000') as [string, string, string, string?];
    const app = this.app(appId);
    if (!app) return;
    if (kind === 'u') return void (blind || this.users.announce(appId, channel, true));
    const event = kind === 'm' ? { name: 'member_added' as const, channel, user_id: userId } : { name: 'channel_occupied' as const, channel };
    this.webhooks.transition(app, tkey, true, false, event, blind);
  }

  #changed(tkey: string, up: boolean, held: boolean, blind = false): void {
    const [kind, appId, channel, userId] = tkey.split('\u0000') as [string, string, string, string?];
    const app = this.app(appId);
    if (!app) return;
    if (kind === 'u') return this.users.announce(appId, channel, up); // `channel` is the user id here
    if (kind === 'm') {
      const key = keyOf(appId, channel);
      const info = this.registry.memberInfo(key, userId!);
      if (up) {
        const except = [...this.registry.userSockets(key, userId!)].map((ws) => ws.data.fd);
        this.publish(app, channel, frame('pusher_internal:member_added', JSON.stringify({ user_id: userId, user_info: info }), channel), except, { u: userId!, up, i: info });
      } else {
        this.publish(app, channel, frame('pusher_internal:member_removed', JSON.stringify({ user_id: userId }), channel), [], { u: userId!, up });
      }
      this.webhooks.transition(app, tkey, up, held, { name: up ? 'member_added' : 'member_removed', channel, user_id: userId }, blind);
    } else {
      this.webhooks.transition(app, tkey, up, held, { name: up ? 'channel_occupied' : 'channel_vacated', channel }, blind);
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
    if (told.p === 'pub') this.#deliver(told.key, told.d, told.x, told.cache, told.m);
    else if (told.p === 'term') this.#terminate(told.key);
    else if (told.p === 'watch') this.users.notify(told.app, told.user, told.online);
    else if (told.p === 'disable') this.appStore.disable(told.app);
    else if (told.p === 'back') this.resync.peerBack();
    else if (told.p === 'settled') this.webhooks.arrivals.cancel(told.key); // the backend was told of it (webhooks.vouch)
  }

  answer(query: unknown): unknown {
    const asked = query as Asked;
    switch (asked.p) {
      case 'tr':
        return this.transitions.answer(asked);
      case 'gone':
        return answerGone(asked, this.transitions);
      case 'members':
        return this.registry.members(asked.key);
      case 'seats':
        return this.presence.seats.answer(asked, { members: () => this.registry.members(asked.key), count: () => this.registry.memberCount(asked.key) });
      case 'channels':
      case 'counts':
        return answerListing(this.registry, asked);
      case 'cache':
        return this.cache.local(asked.key) ?? null;
      case 'online':
        return this.users.online(asked.app, asked.ids);
      case 'conns':
        return this.limits.connections(asked.app);
      case 'dash':
        return nodeView(this, asked.since);
      case 'subs':
        return subscribersHere(this, asked.app, asked.channel);
    }
  }

  /** A node left (said bye, exited, or went silent): announce the departures it can no longer announce. */
  nodeLeft(id: number): void {
    nodeGone(id, {
      transitions: this.transitions,
      ask: (query, each) => this.node.adapter.ask({ kind: 'app', q: query satisfies Asked }, undefined, each),
      self: () => this.node.id,
      departed: (key) => {
        this.#changed(key, false, false);
        this.resync.judged(id, key);
      },
    }).catch((error) => this.log.error(`announcing what node ${id} held failed: ${describeError(error)}`));
  }

  userChannel(userId: string): string {
    return userChannel(userId);
  }
}

/** A subscription that is not a presence membership: one shared, read-only value (one object less per subscribe). */
const NO_MEMBER: { readonly userId?: string } = Object.freeze({});
