// Channel listings and counts across the cluster, bounded. A node's answer is one adapter message: ~220k channels
// made a 36 MB answer, Redis dropped the asking node's subscriber and the API said 200 with no channels. So a node
// lists at most ANSWER_BYTES of names, counts are asked by name (no scan of the node's channels), and a result that
// misses a node (timeout, link down) or part of a node's list says so: the caller answers an error, never a short list.
import type { ResolvedApp } from '../config/schema';
import { keyOf, type Registry } from './registry';

/** About how many bytes of channel names and user ids one node puts in one answer (Redis cuts a subscriber at 8-32 MB). */
export const ANSWER_BYTES = 1024 * 1024;
/** Channel names per count question: keeps the question and its answers small. */
export const COUNT_BATCH = 1000;

/** Questions other nodes answer from their registry. */
export type ListingQuery = { p: 'channels'; app: string; prefix: string; users: boolean } | { p: 'counts'; app: string; names: string[] };

type Row = { name: string; subscriptions: number; users: string[] };
type ListAnswer = { list: Row[]; more: boolean };
type CountAnswer = { s: number; u: string[] }[];

export interface ChannelState {
  subscriptions: number;
  users: Set<string>;
}

/** A cluster-wide result; `incomplete` says why it is not the whole answer. */
export interface Listing {
  channels: Map<string, ChannelState>;
  incomplete?: string;
}

export interface ListingHooks {
  registry: Registry;
  /** Asks every other node; `peers`: how many owe an answer — asked and still alive (fewer answers: some did not answer in time). */
  ask(query: ListingQuery): Promise<{ answers: unknown[]; peers: number }>;
}

/** The answer to a ListingQuery from this node's registry. */
export function answerListing(registry: Registry, q: ListingQuery): ListAnswer | CountAnswer {
  if (q.p === 'channels') return registry.channels(q.app, q.prefix, q.users, ANSWER_BYTES);
  return q.names.slice(0, COUNT_BATCH).map((name) => {
    const c = registry.channel(keyOf(q.app, name));
    return { s: c.subscriptions, u: c.users };
  });
}

/** Occupied channels of an app starting with `prefix`, on every node; `users`: with presence user ids. */
export async function listChannels(hooks: ListingHooks, app: ResolvedApp, prefix: string, users: boolean): Promise<Listing> {
  const { answers, peers } = await hooks.ask({ p: 'channels', app: app.id, prefix, users });
  const channels = new Map<string, ChannelState>();
  let more = false;
  for (const raw of [hooks.registry.channels(app.id, prefix, users, ANSWER_BYTES), ...(answers as (ListAnswer | Row[] | null)[])]) {
    const answer = Array.isArray(raw) ? { list: raw, more: false } : raw; // a node of the previous version answers a bare list
    if (!answer) continue;
    more ||= answer.more;
    for (const row of answer.list) add(channels, row.name, row.subscriptions, row.users);
  }
  const incomplete = missing(answers, peers) ?? (more ? `more channels match than one answer carries (about ${ANSWER_BYTES} bytes per node): narrow the list with filter_by_prefix` : undefined);
  return { channels, incomplete };
}

/** Subscriptions and presence users of the named channels on every node: O(1) per channel on each node. */
export async function countChannels(hooks: ListingHooks, app: ResolvedApp, names: string[]): Promise<Listing> {
  const channels = new Map<string, ChannelState>();
  let incomplete: string | undefined;
  for (let i = 0; i < names.length; i += COUNT_BATCH) {
    const batch = names.slice(i, i + COUNT_BATCH);
    const { answers, peers } = await hooks.ask({ p: 'counts', app: app.id, names: batch });
    incomplete ??= missing(answers, peers);
    for (const name of batch) {
      const c = hooks.registry.channel(keyOf(app.id, name));
      add(channels, name, c.subscriptions, c.users);
    }
    for (const answer of answers as (CountAnswer | null)[]) batch.forEach((name, j) => answer?.[j] && add(channels, name, answer[j].s, answer[j].u));
  }
  for (const [name, c] of channels) if (c.subscriptions === 0) channels.delete(name);
  return { channels, incomplete };
}

function add(channels: Map<string, ChannelState>, name: string, subscriptions: number, users: string[]): void {
  let c = channels.get(name);
  if (!c) channels.set(name, (c = { subscriptions: 0, users: new Set() }));
  c.subscriptions += subscriptions;
  for (const u of users) c.users.add(u);
}

function missing(answers: unknown[], peers: number): string | undefined {
  const silent = peers - answers.filter((a) => a !== null).length;
  return silent > 0 ? `${silent} of ${peers} other node(s) did not answer in time` : undefined;
}
