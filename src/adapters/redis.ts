// The redis adapter: nodes on any number of machines joined by Redis pub/sub (Bun's built-in client, Redis >= 7.0).
// Channels: <prefix>:all (fan-out and heartbeats), <prefix>:node:<id> (directed messages and answers).
import { RedisClient } from 'bun';
import { OdyError } from '../errors';
import { ClusterAdapter, NODE_SPACE, NODE_TIMEOUT_MS } from './cluster-adapter';
import type { Message } from './wire';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** A node id's reservation lives this long unless a heartbeat renews it: well past a few missed heartbeats. */
const LEASE_MS = 3 * NODE_TIMEOUT_MS;
/** A batch (one PUBLISH) holds messages up to about this many characters of JSON. */
const BATCH_CHARS = 256 * 1024;
/**
 * Renews this process's reservation of a node id, or takes it from a younger holder; answers '' when the id is ours,
 * else the (older) holder's instance. Instances compare by age as strings (ClusterAdapter.instance).
 */
const LEASE = "local v = redis.call('GET', KEYS[1]) if v and v < ARGV[1] then return v end redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return ''";

export interface RedisAdapterOptions {
  url: string;
  prefix: string;
  askTimeoutMs?: number;
}

export class RedisAdapter extends ClusterAdapter {
  readonly driver = 'redis';
  #pub: RedisClient | undefined;
  #sub: RedisClient | undefined;
  #retryMs = RETRY_MIN_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  readonly #all: string;
  readonly #nodes: string;
  readonly #seq: string;
  #onMessage: ((text: string) => void) | undefined;
  /**
   * Messages sent in this turn, as runs of messages to one channel: each run goes out as one PUBLISH (a JSON array)
   * once the turn's work is done. A join storm sends hundreds of small messages a second to every node; one command
   * per run instead of one per message is most of what the cluster costs Redis and each node's client. Runs keep the
   * order of sending (one connection), so per-sender order, which transitions.ts and seats.ts rely on, holds.
   */
  #outbox: { channel: string; texts: string[]; chars: number }[] = [];
  #flushing: ReturnType<typeof setImmediate> | undefined;
  #opened = false;

  constructor(private readonly options: RedisAdapterOptions) {
    super(options.askTimeoutMs);
    this.#all = `${options.prefix}:all`;
    this.#nodes = `${options.prefix}:nodes`;
    this.#seq = `${options.prefix}:node-seq`;
  }

  /** First connection: fails start-up (one clear line) when Redis cannot be reached. */
  protected async connect(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      this.#close();
      throw new OdyError(`cannot reach Redis at ${redactUrl(this.options.url)}: ${(error as Error).message}`, 'E_ADAPTER');
    }
    this.log.info(`redis adapter up: node ${this.id}, prefix '${this.options.prefix}'`);
  }

  async #open(): Promise<void> {
    // Our own reconnect below resubscribes; Bun's would reconnect without the subscriptions.
    const pub = new RedisClient(this.options.url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 3000 });
    this.#pub = pub;
    await pub.connect();
    let holder = '';
    if (this.id === 0) this.id = await this.#newId(pub);
    else {
      await this.#keepSeqAbove(pub); // Redis lost its data (restart without persistence): never hand our id out again
      holder = await this.#lease(pub, this.id); // and the id may have been handed out meanwhile
    }
    const sub = await pub.duplicate();
    this.#sub = sub;
    const onMessage = (this.#onMessage = (text: string) => {
      let parsed: Message | Message[];
      try {
        parsed = JSON.parse(text);
      } catch {
        return this.log.warn('ignoring a malformed message on the cluster channel');
      }
      if (!Array.isArray(parsed)) return this.receive(parsed);
      for (const message of parsed) {
        try {
          this.receive(message);
        } catch (error) {
          this.log.error(`handling a cluster message (${message?.t}) failed: ${(error as Error).message}`); // the rest of the batch still counts
        }
      }
    });
    await sub.subscribe([this.#all, this.#channel(this.id)], onMessage);
    pub.onclose = (error) => this.#lost(error);
    sub.onclose = (error) => this.#lost(error);
    if (this.#opened) this.links++;
    this.#opened = true;
    this.up = true;
    this.#retryMs = RETRY_MIN_MS;
    if (holder) this.collided(holder);
  }

  #channel(id: number): string {
    return `${this.options.prefix}:node:${id}`;
  }

  /**
   * An id no live node holds, reserved atomically (SET NX with expiry, renewed by heartbeats): INCR, skipping ids
   * in the registry or reserved by another process (the counter wraps at NODE_SPACE).
   */
  async #newId(pub: RedisClient): Promise<number> {
    const live = new Set((await this.#liveNodes(pub)).map(([id]) => id));
    for (let i = 0; i < 64; i++) {
      const id = ((await pub.incr(this.#seq)) % (NODE_SPACE - 1)) + 1;
      if (live.has(id)) continue;
      if ((await pub.send('SET', [this.#leaseKey(id), this.instance, 'NX', 'PX', String(LEASE_MS)])) === 'OK') return id;
    }
    throw new Error('no free node id (over a million live nodes?)');
  }

  #leaseKey(id: number): string {
    return `${this.options.prefix}:node-lease:${id}`;
  }

  /** Renews our reservation of `id`: '' when it is ours, else the older process that holds it. */
  async #lease(pub: RedisClient, id: number): Promise<string> {
    return String((await pub.send('EVAL', [LEASE, '1', this.#leaseKey(id), this.instance, String(LEASE_MS)])) ?? '');
  }

  /** After a collision: a new reserved id, and the directed channel moved to it. */
  protected async renumber(): Promise<number> {
    const [pub, sub, onMessage] = [this.#pub, this.#sub, this.#onMessage];
    if (!this.up || !pub || !sub || !onMessage) throw new Error('the redis connection is down');
    const id = await this.#newId(pub);
    await sub.subscribe(this.#channel(id), onMessage);
    await sub.unsubscribe(this.#channel(this.id));
    return id;
  }

  async #keepSeqAbove(pub: RedisClient): Promise<void> {
    const script = "if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1";
    await pub.send('EVAL', [script, '1', this.#seq, String(this.id)]);
  }

  async #liveNodes(pub: RedisClient): Promise<[number, number][]> {
    const members: string[] = await pub.send('ZRANGEBYSCORE', [this.#nodes, String(Date.now() - NODE_TIMEOUT_MS), '+inf']);
    return members.map((m) => [Number(m), 0] as [number, number]).filter(([id]) => id > 0);
  }

  protected discover(): Promise<[number, number][]> {
    return this.#liveNodes(this.#pub!);
  }

  /** Each heartbeat refreshes this node in the registry that newcomers read. */
  protected override beat(): void {
    if (!this.up || !this.#pub) return;
    const now = Date.now();
    this.#pub.send('ZADD', [this.#nodes, String(now), String(this.id)]).catch(() => {});
    const id = this.id;
    this.#lease(this.#pub, id).then((holder) => holder && id === this.id && this.collided(holder), () => {});
    this.#pub.send('ZREMRANGEBYSCORE', [this.#nodes, '-inf', String(now - 10 * NODE_TIMEOUT_MS)]).catch(() => {});
  }

  protected send(message: Message): void {
    if (!this.up || !this.#pub) {
      this.dropped++;
      return;
    }
    const channel = message.to === undefined ? this.#all : this.#channel(message.to);
    const text = JSON.stringify(message);
    const last = this.#outbox.at(-1);
    if (last?.channel === channel && last.chars + text.length <= BATCH_CHARS) {
      last.texts.push(text);
      last.chars += text.length;
    } else {
      this.#outbox.push({ channel, texts: [text], chars: text.length });
    }
    this.#flushing ??= setImmediate(() => this.#flush());
  }

  /** Publishes this turn's runs, in order (see #outbox). */
  #flush(): void {
    clearImmediate(this.#flushing);
    this.#flushing = undefined;
    const runs = this.#outbox;
    this.#outbox = [];
    const pub = this.#pub;
    for (const { channel, texts } of runs) {
      if (!this.up || !pub) {
        this.dropped += texts.length;
        continue;
      }
      pub.publish(channel, texts.length === 1 ? texts[0]! : `[${texts.join(',')}]`).catch(() => (this.dropped += texts.length));
    }
  }

  /** One log line per outage; reconnect with backoff, resubscribe, one line when back. */
  #lost(error: Error | undefined): void {
    if (this.#stopped || !this.up) return;
    this.up = false;
    this.#flush(); // counts what was waiting as dropped
    this.log.error(`redis connection lost (${error?.message ?? 'closed'}); serving local clients only, retrying`);
    this.#close();
    this.#schedule();
  }

  #schedule(): void {
    this.#retry = setTimeout(async () => {
      try {
        await this.#open();
        this.log.info(`redis connection restored: node ${this.id} resubscribed`);
      } catch {
        this.#close();
        this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
        if (!this.#stopped) this.#schedule();
      }
    }, this.#retryMs);
  }

  #close(): void {
    for (const client of [this.#pub, this.#sub]) {
      if (!client) continue;
      client.onclose = null;
      try {
        client.close();
      } catch {}
    }
    this.#pub = this.#sub = undefined;
  }

  protected async disconnectTransport(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#flush(); // the goodbye and whatever this turn sent
    if (this.up && this.#pub) await this.#pub.send('ZREM', [this.#nodes, String(this.id)]).catch(() => {});
    this.#close();
  }
}

/** The URL without its password, for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
