// The Pusher HTTP API on /apps/{id}/…: trigger events (single and batch), inspect channels and presence users,
// terminate a user's connections. 200 with JSON on success; 400/401/403/404/413 with {"error": reason}, and 503 when
// a cluster-wide answer is incomplete (listing.ts).
import type { ResolvedApp } from '../config/schema';
import { readBody } from '../http/body';
import { decodeSegment } from '../http/path';
import { checkBody, checkSignature } from './api-auth';
import { CACHE_TTL_MS } from './cache';
import { channelProblem, channelType } from './channel-names';
import { frame } from './frames';
import type { Listing } from './listing';
import { keyOf } from './registry';
import type { PusherServer } from './server';
import { fdOf } from './socket-id';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A per-app limit's refusal (src/apps/limits.ts) as the API's error answer. */
function refuseIf(refusal: { status: number; message: string } | undefined): void {
  if (refusal) throw new ApiError(refusal.status, refusal.message);
}

const MAX_CHANNELS = 100;
const MAX_BATCH = 10;
const MAX_NAME = 200;

type Body = Record<string, unknown>;

export async function handleApi(layer: PusherServer, request: Request, maxBodySize: number): Promise<Response> {
  try {
    const url = new URL(request.url);
    const parts = url.pathname.slice(url.pathname.indexOf('/apps/') + 6).split('/').map(decodeSegment);
    if (parts.includes(undefined)) throw new ApiError(400, 'Malformed percent-escape in the path');
    const app = await layer.findApp(parts[0] ?? '');
    if (!app) throw new ApiError(404, `No app with id '${parts[0]}'`);
    // The signature covers the query (body_md5 included): checked before a byte of the body is read.
    const refused = checkSignature(request, app);
    if (refused) throw new ApiError(refused.status, refused.problem);
    const text = await readText(request, maxBodySize);
    const problem = checkBody(request, text);
    if (problem) throw new ApiError(401, problem);
    refuseIf(layer.limits.request(app, request.method)); // per-app: disabled (403), reads per second (429)
    const route = `${request.method} ${parts.slice(1).map((p, i) => (i === 1 && parts.length > 2 ? ':x' : p)).join('/')}`;
    const info = (url.searchParams.get('info') ?? '').split(',').filter(Boolean);
    const result = await (async () => {
      switch (route) {
        case 'POST events':
          return trigger(layer, app, parse(text));
        case 'POST batch_events': {
          const batch = parse(text).batch;
          if (!Array.isArray(batch)) throw new ApiError(400, '"batch" must be an array of events');
          if (batch.length > MAX_BATCH) throw new ApiError(400, `at most ${MAX_BATCH} events per batch`);
          const events = batch.map((e) => checkEvent(app, e));
          refuseIf(layer.limits.backendEvents(app, events.length));
          const answers = await deliver(layer, app, events);
          return events.some((e) => e.info.length > 0) ? { batch: answers.map((a) => a.channels[Object.keys(a.channels)[0]!] ?? {}) } : {};
        }
        case 'GET channels':
          return listChannels(layer, app, url.searchParams.get('filter_by_prefix') ?? '', info);
        case 'GET channels/:x':
          return describe(layer, app, parts[2]!, info);
        case 'GET channels/:x/users': {
          const channel = parts[2]!;
          if (channelType(channel).kind !== 'presence') throw new ApiError(400, 'Users can only be listed for presence channels');
          const members = await layer.members(app, channel);
          if (members.incomplete) throw new ApiError(503, "The cluster's answer is incomplete: some node did not answer in time");
          return { users: [...members.keys()].map((id) => ({ id })) };
        }
        case 'POST users/:x/terminate_connections':
          layer.terminate(app, parts[2]!);
          return {};
      }
      throw new ApiError(404, `No such endpoint: ${request.method} ${url.pathname}`);
    })();
    return Response.json(result);
  } catch (error) {
    if (error instanceof ApiError) return Response.json({ error: error.message }, { status: error.status });
    throw error;
  }
}

/** The body, counted while it streams and cancelled at `max` bytes (Content-Length can be absent or lie). */
async function readText(request: Request, max: number): Promise<string> {
  const bytes = await readBody(request, max);
  if (!bytes) throw new ApiError(413, `Body larger than ${max} bytes`);
  return new TextDecoder().decode(bytes);
}

/** The channels of a cluster-wide listing, or 503: a listing that misses a node, or part of one, is never a 200. */
function complete(listing: Listing): Listing['channels'] {
  if (listing.incomplete) throw new ApiError(503, `The cluster's answer is incomplete: ${listing.incomplete}`);
  return listing.channels;
}

function parse(text: string): Body {
  try {
    const body = JSON.parse(text);
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body;
  } catch {}
  throw new ApiError(400, 'Body must be a JSON object');
}

interface Event {
  name: string;
  data: string;
  channels: string[];
  except: number[];
  info: string[];
}

function checkEvent(app: ResolvedApp, raw: unknown): Event {
  if (raw === null || typeof raw !== 'object') throw new ApiError(400, 'Each event must be an object');
  const body = raw as Body;
  if (typeof body.name !== 'string' || body.name === '' || body.name.length > MAX_NAME) throw new ApiError(400, `"name" must be a string of 1-${MAX_NAME} characters`);
  const data = typeof body.data === 'string' ? body.data : JSON.stringify(body.data ?? null);
  if (Buffer.byteLength(data) > app.maxEventSize) throw new ApiError(413, `"data" larger than ${app.maxEventSize} bytes`);
  const channels = body.channels ?? (body.channel === undefined ? undefined : [body.channel]);
  if (!Array.isArray(channels) || channels.length === 0) throw new ApiError(400, '"channels" (an array) or "channel" is required');
  if (channels.length > MAX_CHANNELS) throw new ApiError(400, `at most ${MAX_CHANNELS} channels per event`);
  for (const c of channels) {
    const problem = channelProblem(c, app.maxChannelNameLength);
    if (problem) throw new ApiError(400, `${problem}: ${JSON.stringify(c)}`);
  }
  let except: number[] = [];
  if (body.socket_id !== undefined) {
    const fd = fdOf(body.socket_id);
    if (fd === undefined) throw new ApiError(400, '"socket_id" must look like 123.456');
    except = [fd];
  }
  const info = typeof body.info === 'string' ? body.info.split(',').filter(Boolean) : [];
  return { name: body.name, data, channels: channels as string[], except, info };
}

async function trigger(layer: PusherServer, app: ResolvedApp, body: Body): Promise<unknown> {
  const event = checkEvent(app, body);
  refuseIf(layer.limits.backendEvents(app, 1));
  const [answer] = await deliver(layer, app, [event]);
  return Object.keys(answer!.channels).length > 0 ? answer : {};
}

/**
 * Publishes the events; with `info`, their channels' counts are asked first (by name, never a listing of every
 * channel), so an incomplete answer is a 503 before anything went out and a retry cannot send an event twice.
 */
async function deliver(layer: PusherServer, app: ResolvedApp, events: Event[]): Promise<{ channels: Record<string, unknown> }[]> {
  const wanted = [...new Set(events.filter((e) => e.info.length > 0).flatMap((e) => e.channels))];
  const all = wanted.length > 0 ? complete(await layer.counts(app, wanted)) : new Map();
  return events.map((e) => {
    for (const channel of e.channels) layer.publish(app, channel, frame(e.name, e.data, channel), e.except);
    const channels: Record<string, unknown> = {};
    if (e.info.length === 0) return { channels };
    for (const channel of e.channels) {
      const c = all.get(channel);
      const out: Record<string, number> = {};
      if (e.info.includes('subscription_count')) out.subscription_count = c?.subscriptions ?? 0;
      if (e.info.includes('user_count') && channelType(channel).kind === 'presence') out.user_count = c?.users.size ?? 0;
      channels[channel] = out;
    }
    return { channels };
  });
}

async function listChannels(layer: PusherServer, app: ResolvedApp, prefix: string, info: string[]): Promise<unknown> {
  if (info.includes('user_count') && !prefix.startsWith('presence-')) throw new ApiError(400, 'info=user_count needs filter_by_prefix=presence-');
  const channels: Record<string, unknown> = {};
  for (const [name, c] of complete(await layer.channels(app, prefix, info.includes('user_count')))) {
    const out: Record<string, number> = {};
    if (info.includes('user_count')) out.user_count = c.users.size;
    if (info.includes('subscription_count')) out.subscription_count = c.subscriptions;
    channels[name] = out;
  }
  return { channels };
}

async function describe(layer: PusherServer, app: ResolvedApp, channel: string, info: string[]): Promise<unknown> {
  const problem = channelProblem(channel, app.maxChannelNameLength);
  if (problem) throw new ApiError(400, problem);
  const presence = channelType(channel).kind === 'presence';
  if (info.includes('user_count') && !presence) throw new ApiError(400, 'user_count is only for presence channels');
  const c = complete(await layer.counts(app, [channel])).get(channel);
  const out: Record<string, unknown> = { occupied: (c?.subscriptions ?? 0) > 0 };
  if (info.includes('user_count')) out.user_count = c?.users.size ?? 0;
  if (info.includes('subscription_count')) out.subscription_count = c?.subscriptions ?? 0;
  if (info.includes('cache') && channelType(channel).cache) {
    // The cluster's last event (asked of the other nodes on a miss here) and how long it has left.
    const found = await layer.lastCached(app, channel);
    const event = found.event ?? layer.cache.local(keyOf(app.id, channel));
    if (event) {
      const { data } = JSON.parse(event.payload) as { data: string };
      out.cache = { data, ttl: Math.max(0, Math.ceil((event.at + CACHE_TTL_MS - Date.now()) / 1000)) };
    }
  }
  return out;
}
