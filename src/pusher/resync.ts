// Healing after an outage or a partition, checked once a second (cheap: no traffic unless something is owed).
//
// - This node's link came back (it was down: an outage of Redis, or of our connection to it; AdapterStatus.links
//   moved), or another node's did (it tells us: what it sent meanwhile was lost), or a subscriber here got a partial
//   member list (a node missed the timeout): the presence channels concerned are re-read from the cluster and their
//   clients told what they missed (views.ts), until every node has answered once, for at most RETRY_LIMIT tries.
//   Until then joins read the lists from the cluster, not from the views. Watchlists are re-read the same way:
//   watchers hear who of theirs went online or offline meanwhile, once (users.ts).
// - A node this one judged dead and announced departures for answers again (a partition, a paused process, not a
//   crash): the webhooks the backend is owed for what it still holds are sent by the node that announced the
//   departure, so once; and presence channels are re-read as above, so the clients that heard its members leave
//   hear them come back (the views keep that from those that did not). A judged node that stays away is forgotten
//   after JUDGED_MS.
import { describeError } from '../log/logger';
import type { GoneAnswer, GoneQuery } from './departures';
import type { PusherServer, Told } from './server';

const EVERY_MS = 1000;
const RETRY_LIMIT = 30;
/** How long the departures announced for a silent node are remembered, in case it comes back. */
const JUDGED_MS = 10 * 60_000;

export class Resync {
  readonly #timer: ReturnType<typeof setInterval>;
  /** Keys whose departure this node announced for a node that went silent, by that node. */
  readonly #judged = new Map<number, { keys: Set<string>; since: number }>();
  /** Presence channel keys to re-read, and tries left. */
  #dirty = new Set<string>();
  #tries = 0;
  /** Tries left to re-read the watched users' online state (a link came back). */
  #watchTries = 0;
  /** The adapter's link count when last checked. */
  #links: number;
  #busy = false;

  constructor(private readonly layer: PusherServer) {
    this.#links = layer.node.adapter.status().links;
    this.#timer = setInterval(() => void this.#check(), EVERY_MS);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** This node announced the departure of `key` for `node`, which went silent. */
  judged(node: number, key: string): void {
    const entry = this.#judged.get(node) ?? this.#judged.set(node, { keys: new Set(), since: Date.now() }).get(node)!;
    entry.keys.add(key);
  }

  async #check(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { state, links } = this.layer.node.adapter.status();
      if (state !== 'up') return;
      if (links !== this.#links) {
        this.#links = links;
        this.reread();
        this.#watchTries = RETRY_LIMIT;
        this.layer.node.adapter.tell({ p: 'back' } satisfies Told); // what we told the others during the gap is lost
      }
      await this.#returned();
      await this.#reconcile();
      if (this.#watchTries > 0) this.#watchTries = (await this.layer.users.reread()) ? 0 : this.#watchTries - 1;
    } catch (error) {
      this.layer.log.error(`re-syncing presence failed: ${describeError(error)}`);
    } finally {
      this.#busy = false;
    }
  }

  /** Another node's link came back: what it sent while it was down never reached us. */
  peerBack(): void {
    this.layer.presence.views.unsync();
    this.reread();
    this.#watchTries = RETRY_LIMIT; // its watchlist announcements during the gap were lost too
  }

  /** The presence channels `keys` (all with subscribers here, by default) are to be re-read until every node answers. */
  reread(keys: string[] = this.layer.presence.views.keys()): void {
    const fresh = keys.filter((key) => !this.#dirty.has(key));
    for (const key of fresh) this.#dirty.add(key);
    if (fresh.length > 0) this.#tries = RETRY_LIMIT; // keys already waiting keep the count: a partial re-read does not restart it
  }

  async #reconcile(): Promise<void> {
    if (this.#dirty.size === 0) return;
    if (this.#tries-- <= 0) return void this.#dirty.clear();
    for (const key of [...this.#dirty]) {
      const [appId, channel] = key.split('\u0000') as [string, string];
      const app = this.layer.app(appId);
      if (!app) {
        this.#dirty.delete(key);
        continue;
      }
      const list = await this.layer.presence.gather(app, channel);
      if (this.layer.presence.views.has(key)) this.layer.presence.show(key, list);
      if (list.complete) this.#dirty.delete(key);
    }
  }

  /** Asks each judged node directly (no traffic while it is not a peer): the keys it still holds are announced back. */
  async #returned(): Promise<void> {
    for (const [node, { keys, since }] of this.#judged) {
      if (Date.now() - since > JUDGED_MS) {
        this.#judged.delete(node);
        continue;
      }
      const query: GoneQuery = { p: 'gone', dead: node, keys: [...keys] };
      const answers = (await this.layer.node.adapter.ask({ kind: 'app', q: query }, node)) as (GoneAnswer | null)[];
      const answer = answers[0];
      if (!answer) continue;
      this.#judged.delete(node);
      const { transitions } = this.layer;
      this.layer.log.info(`node ${node} is back after it was announced gone: announcing its ${answer.holds.length} key(s) again`);
      for (const key of answer.holds) {
        transitions.holders.saw(key, node, true);
        if (transitions.count(key) === 0) this.layer.announceBack(key);
      }
      this.reread(); // and anything else that changed while we were apart
    }
  }
}
