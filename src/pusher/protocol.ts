// What a Pusher client may send: ping, subscribe (public, private, encrypted, presence, cache, user channels),
// unsubscribe, signin and client events. Bad input gets a pusher:error or subscription_error; the socket stays.
import type { ResolvedApp } from '../config/schema';
import type { Socket } from '../server/node';
import { channelProblem, channelType, userOfChannel } from './channel-names';
import { CLOSE, errorFrame, frame, subscriptionError } from './frames';
import { keyOf } from './registry';
import { pusherOf, type PusherServer } from './server';
import { CONTROL, checkAuth } from './signatures';
import { MAX_WATCHLIST } from './users';

type Data = Record<string, unknown>;

export function handleFrame(layer: PusherServer, ws: Socket, app: ResolvedApp, text: string): void {
  let message: { event?: unknown; data?: unknown; channel?: unknown };
  try {
    message = JSON.parse(text);
  } catch {
    return void ws.send(errorFrame(null, 'Invalid JSON: every message must be {"event":…,"data":…}'));
  }
  if (message === null || typeof message !== 'object' || typeof message.event !== 'string') return void ws.send(errorFrame(null, 'Invalid message: "event" must be a string'));
  // pusher-js sends data as an object; some clients send it JSON-encoded.
  let data = message.data;
  if (typeof data === 'string' && !message.event.startsWith('client-')) {
    try {
      data = JSON.parse(data);
    } catch {}
  }
  const d = (data !== null && typeof data === 'object' ? data : {}) as Data;
  switch (message.event) {
    case 'pusher:ping':
      return void ws.send(frame('pusher:pong', {}));
    case 'pusher:pong':
      return;
    case 'pusher:subscribe':
      // Public and private channels are done in this turn; a presence join (it asks the cluster) and a cache channel's
      // last event (it may ask) finish later.
      return void subscribe(layer, ws, app, d)?.catch((error) => layer.log.error(`subscribe on fd ${ws.data.fd} failed: ${(error as Error).message}`));
    case 'pusher:unsubscribe':
      if (typeof d.channel === 'string') layer.leave(ws, app, d.channel);
      return;
    case 'pusher:signin':
      return signin(layer, ws, app, d);
  }
  if (message.event.startsWith('client-')) return clientEvent(layer, ws, app, message.event, message.channel, message.data);
  ws.send(errorFrame(null, `Unknown event '${message.event.slice(0, 64)}'`));
}

function subscribe(layer: PusherServer, ws: Socket, app: ResolvedApp, d: Data): Promise<void> | undefined {
  const conn = pusherOf(ws);
  const channel = d.channel;
  const problem = channelProblem(channel, app.maxChannelNameLength);
  if (problem) return void ws.send(typeof channel === 'string' ? subscriptionError(channel, 'InvalidChannel', problem, 400) : errorFrame(null, problem));
  const name = channel as string;
  const type = channelType(name);
  let member: { id: string; info: unknown } | undefined;
  if (type.kind === 'user') {
    if (conn.userId === undefined || userOfChannel(name) !== conn.userId) return void authError(ws, name, 'Sign in as this user to subscribe to its channel');
  } else if (type.kind === 'private' || type.kind === 'encrypted') {
    if (!checkAuth(app, d.auth, `${conn.socketId}:${name}`)) return void authError(ws, name, 'Invalid signature');
  } else if (type.kind === 'presence') {
    const channelData = typeof d.channel_data === 'string' ? d.channel_data : undefined;
    if (channelData === undefined || !checkAuth(app, d.auth, `${conn.socketId}:${name}:${channelData}`)) return void authError(ws, name, 'Invalid signature');
    const parsed = parseMember(channelData, app);
    if (typeof parsed === 'string') return void ws.send(subscriptionError(name, 'InvalidChannelData', parsed, 400));
    member = parsed;
  }
  if (conn.channels.has(name) && !member) return void ws.send(frame('pusher_internal:subscription_succeeded', '{}', name));
  if (!conn.channels.has(name) && conn.channels.size + conn.joining >= app.maxChannelsPerConnection) {
    return void ws.send(subscriptionError(name, 'LimitReached', `A connection may subscribe to at most ${app.maxChannelsPerConnection} channels`, 403));
  }
  if (member) return joinPresence(layer, ws, app, name, member, type.cache);
  layer.join(ws, app, name);
  ws.send(frame('pusher_internal:subscription_succeeded', '{}', name));
  return type.cache ? sendCached(layer, ws, app, name) : undefined;
}

/** A subscribe refused for its authorization: subscription_error AuthError 401; the socket stays. */
function authError(ws: Socket, channel: string, why: string): void {
  ws.send(subscriptionError(channel, 'AuthError', why, 401));
}

async function joinPresence(layer: PusherServer, ws: Socket, app: ResolvedApp, name: string, member: { id: string; info: unknown }, cache: boolean): Promise<void> {
  const conn = pusherOf(ws);
  // Reserved before the await and given back on every way out (joined: then the registry counts it; refused;
  // closed): a place under maxChannelsPerConnection, and a seat under maxPresenceMembers.
  conn.joining++;
  const key = keyOf(app.id, name);
  const seat = layer.presence.seats.reserve(key, member.id, layer.node.id);
  layer.presence.views.watch(key);
  try {
    const seated = await layer.presence.seated(app, name, seat);
    if (conn.closed) return;
    if (!seated) return void ws.send(subscriptionError(name, 'LimitReached', `Presence channel is full (${app.maxPresenceMembers} members)`, 403));
    if (conn.channels.has(name)) layer.leave(ws, app, name); // re-subscribed, maybe as another user: start over
    // Before joining the topic: the subscribers already here hear of this member (and of any others they missed).
    layer.presence.show(key, seated, member);
    layer.join(ws, app, name, member);
    ws.send(layer.presence.views.succeeded(key, name));
  } finally {
    conn.joining--;
    layer.presence.seats.release(seat);
    layer.presence.settle(key);
  }
  if (cache) await sendCached(layer, ws, app, name);
}

/** A cache channel's last event to its new subscriber, or pusher:cache_miss (and its webhook). */
async function sendCached(layer: PusherServer, ws: Socket, app: ResolvedApp, name: string): Promise<void> {
  const { event, live } = await layer.lastCached(app, name);
  if (pusherOf(ws).closed || live) return;
  if (event) return void ws.send(event.payload);
  ws.send(JSON.stringify({ event: 'pusher:cache_miss', channel: name }));
  layer.webhooks.send(app, { name: 'cache_miss', channel: name });
}

/** channel_data as a presence member: user_id a non-empty string (numbers allowed, compared as strings), bounded sizes. */
function parseMember(channelData: string, app: ResolvedApp): { id: string; info: unknown } | string {
  let parsed: { user_id?: unknown; user_info?: unknown };
  try {
    parsed = JSON.parse(channelData);
  } catch {
    return 'channel_data must be JSON';
  }
  const id = typeof parsed?.user_id === 'number' ? String(parsed.user_id) : parsed?.user_id;
  if (typeof id !== 'string' || id === '' || id.length > 128) return 'channel_data.user_id must be a non-empty string of at most 128 characters';
  // NUL separates the parts of our keys: an id with control characters could alias another user's state.
  if (CONTROL.test(id)) return 'channel_data.user_id must not contain control characters';
  const info = parsed.user_info ?? null;
  if (JSON.stringify(info).length > app.maxUserInfoSize) return `channel_data.user_info is larger than ${app.maxUserInfoSize} bytes`;
  return { id, info };
}

function signin(layer: PusherServer, ws: Socket, app: ResolvedApp, d: Data): void {
  const conn = pusherOf(ws);
  const userData = typeof d.user_data === 'string' ? d.user_data : '';
  let parsed: { id?: unknown; watchlist?: unknown } | undefined;
  try {
    parsed = JSON.parse(userData);
  } catch {}
  const id = parsed?.id;
  if (!checkAuth(app, d.auth, `${conn.socketId}::user::${userData}`) || typeof id !== 'string' || id === '' || CONTROL.test(id)) {
    ws.send(errorFrame(CLOSE.unauthorized, 'Invalid user authentication'));
    return ws.close(CLOSE.unauthorized, 'Invalid user authentication');
  }
  const watchlist = Array.isArray(parsed!.watchlist) ? parsed!.watchlist.filter((w) => typeof w === 'string' || typeof w === 'number').map(String) : [];
  if (watchlist.length > MAX_WATCHLIST) {
    ws.send(errorFrame(CLOSE.watchlistTooLong, `Watchlist longer than ${MAX_WATCHLIST} user ids`));
    return ws.close(CLOSE.watchlistTooLong, 'Watchlist too long');
  }
  ws.send(frame('pusher:signin_success', JSON.stringify({ user_data: userData })));
  void layer.users.signIn(ws, app, id, watchlist).catch((error) => layer.log.error(`sign-in on fd ${ws.data.fd} failed: ${(error as Error).message}`));
}

function clientEvent(layer: PusherServer, ws: Socket, app: ResolvedApp, event: string, channel: unknown, data: unknown): void {
  const conn = pusherOf(ws);
  if (!app.clientEvents) return void ws.send(errorFrame(CLOSE.clientEventRate, 'Client events are disabled for this app'));
  if (typeof channel !== 'string' || !conn.channels.has(channel)) return void ws.send(errorFrame(null, 'Client event rejected: subscribe to the channel first'));
  const kind = channelType(channel).kind;
  if (kind !== 'private' && kind !== 'presence') return void ws.send(errorFrame(null, 'Client events are allowed only on private and presence channels'));
  if (event.length > 200) return void ws.send(errorFrame(null, 'Client event name longer than 200 characters'));
  const refused = layer.clientEventRefused(app, ws.data.fd); // per socket, then per app (src/apps/limits.ts)
  if (refused) return void ws.send(errorFrame(CLOSE.clientEventRate, refused));
  const size = typeof data === 'string' ? Buffer.byteLength(data) : Buffer.byteLength(JSON.stringify(data ?? null));
  if (size > app.maxEventSize) return void ws.send(errorFrame(null, `Client event data larger than ${app.maxEventSize} bytes`));
  const userId = conn.channels.get(channel)!.userId;
  const out: Record<string, unknown> = { event, channel, data };
  if (userId !== undefined) out.user_id = userId;
  layer.publish(app, channel, JSON.stringify(out), [ws.data.fd]);
  layer.webhooks.send(app, { name: 'client_event', channel, event, data: typeof data === 'string' ? data : JSON.stringify(data), socket_id: conn.socketId, ...(userId !== undefined ? { user_id: userId } : {}) });
}
