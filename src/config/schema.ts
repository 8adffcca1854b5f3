// The config contract: the shape users write in config/websockets.ts, its defaults, and defineConfig().
import { availableParallelism } from 'node:os';
import type { Middleware } from '../http/middleware';
import type { EventName } from '../server/events';
import type { Hooks } from '../server/types';

/** A class (its static method, or an instance made once) paired with a method name, or a plain function. */
export type CallbackSpec = readonly [abstract new (...args: never[]) => unknown, string] | readonly [object, string] | ((...args: never[]) => unknown);

export type LogLevel = 'debug' | 'trace' | 'info' | 'notice' | 'warning' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'trace', 'info', 'notice', 'warning', 'error'];
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** config additional.table, resolved: the machine's shared memory, sized at start. */
export interface TableConfig {
  /**
   * Connections open at once on all workers of the machine; a power of two. Also the per-IP counters' rows.
   * 0 turns the shared connection slots off: each worker then answers the synchronous questions for its own.
   */
  connections: number;
  /** FdsTable rows (all workers). */
  rows: number;
  /** Bytes of key plus JSON one FdsTable row holds. */
  rowBytes: number;
}

/** 128 Ki connections and a 128-byte row for each (the built-in callbacks keep a name per connection). */
export const DEFAULT_TABLE: TableConfig = { connections: 131_072, rows: 131_072, rowBytes: 128 };

export interface AdditionalConfig {
  /** Worker processes sharing the port. @default CPU count (WEBSOCKET_WORKER_COUNT) */
  workerNum?: number;
  /** Lowest level written: debug, trace, info, notice, warning, error (debug writes message text). @default 'info' */
  logLevel?: LogLevel;
  /** Log file used when running as a daemon. @default 'storage/logs/ody_websockets.log' */
  logFile?: string;
  /** 'text': one readable line per record; 'json': one JSON object per line `{time, level, worker?, msg}` for log shippers. Read at start. @default 'text' */
  logFormat?: LogFormat;
  /** Largest message accepted, in bytes; bigger ones close the socket with 1009. @default 1048576 (1 MiB) */
  maxPayloadLength?: number;
  /** Seconds without traffic before a socket is closed (pings count as traffic). @default 120 */
  idleTimeout?: number;
  /** Send pings so idle-but-alive clients are kept and dead ones detected. @default true */
  sendPings?: boolean;
  /** Bytes queued for one slow reader before the backpressure policy applies. @default 1048576 (1 MiB) */
  backpressureLimit?: number;
  /** Cut a socket that exceeds backpressureLimit (onClose sees 1006: no close frame gets through a full buffer) instead of dropping messages to it. @default false */
  closeOnBackpressureLimit?: boolean;
  /** Negotiate permessage-deflate compression. @default false (CPU cost usually outweighs it for small messages) */
  perMessageDeflate?: boolean;
  /** Open WebSockets allowed at once; further handshakes get 503. 0 = unlimited. @default 0 */
  maxConnections?: number;
  /** Open (and pending) WebSockets allowed per client IP; further handshakes from it get 503. 0 = unlimited. @default 0 */
  maxConnectionsPerIp?: number;
  /** Log one line per HTTP request and handshake: method, path (never the query), status, time, client IP. @default false */
  requestLog?: boolean;
  /** Where `start -d` writes the pid/state file. @default 'storage/ody_websockets.pid' */
  pidFile?: string;
  /** Seconds a graceful stop waits for clients and in-flight requests. @default 10 */
  shutdownTimeout?: number;
  /**
   * The machine's shared memory, sized at start (a restart applies a change): `connections` open at once on all
   * workers (a power of two; also the per-IP counters' rows), FdsTable `rows` and the bytes of key + JSON one row
   * holds (`rowBytes`). @default { connections: 131072, rows: 131072, rowBytes: 128 }
   */
  table?: Partial<TableConfig>;
}

/** A token bucket: `limit` requests (or messages) per `windowSeconds`, refilled continuously. */
export interface RateLimitConfig {
  limit: number;
  windowSeconds: number;
}

export interface SecurityConfig {
  /** Origins allowed to open a WebSocket, e.g. 'https://app.example.com', 'https://*.example.com' ('*' = one DNS label or a port). Empty allows any. @default [] */
  allowedOrigins?: string[];
  /** Handshakes per client IP; over it 429. @default false (off) */
  handshakeRateLimit?: RateLimitConfig | false;
  /** Plain HTTP requests per client IP; over it 429. @default false (off) */
  httpRateLimit?: RateLimitConfig | false;
  /** Messages per connection; a socket over it is closed with 1008. @default false (off) */
  messageRateLimit?: RateLimitConfig | false;
  /** Take the client IP from the last X-Forwarded-For entry; only behind a reverse proxy you run. @default false */
  trustProxy?: boolean;
}

export interface ApiConfig {
  /** Serve the server API (broadcast, push, publish, disconnect, connections, topics, stats), guarded by secretKey. @default true */
  enabled?: boolean;
  /** Path the API lives under. @default '/_ody' */
  prefix?: string;
  /** Largest JSON body accepted, in bytes; bigger gets 413. @default 1048576 (1 MiB) */
  maxBodySize?: number;
}

export interface AdapterConfig {
  /**
   * How nodes reach each other. 'memory': this machine only (with several workers they talk through the
   * primary over IPC); 'redis': every node (worker) of every machine joins through Redis. @default 'memory' (WEBSOCKET_ADAPTER)
   */
  driver?: 'memory' | 'redis';
  /** Redis URL, with driver 'redis'. @default 'redis://127.0.0.1:6379' (REDIS_URL) */
  url?: string;
  /** Prefix of every Redis key and channel, so several ody clusters can share one Redis. @default 'ody' */
  prefix?: string;
  /** Milliseconds to wait for other nodes' answers (server.cluster.*, /_ody/*); late nodes are left out. @default 2000 */
  requestTimeout?: number;
}

export interface HealthConfig {
  /** Answer the liveness and readiness probes, before middleware and routes, without the secret. @default true */
  enabled?: boolean;
  /** Liveness: 200 while the process serves (`{"status":"degraded"}` when the adapter is down). @default '/health' */
  path?: string;
  /** Readiness: 200 when the workers are up, the adapter is connected and the server is not draining; 503 otherwise. @default '/ready' */
  readyPath?: string;
}

export interface MetricsConfig {
  /** Serve Prometheus metrics on the main port, behind secretKey (x-api-key or Authorization: Bearer). @default true */
  enabled?: boolean;
  /** Where. @default '/metrics' */
  path?: string;
}

/** Events a webhook can carry (Pusher's names). */
export const WEBHOOK_EVENTS = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'cache_miss'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookConfig {
  /** Where ody POSTs batches of events, signed with the app's key and secret (X-Pusher-Key, X-Pusher-Signature). */
  url: string;
  /** Which events go to this URL. @default every event in WEBHOOK_EVENTS */
  events?: WebhookEvent[];
  /** Extra request headers (e.g. an Authorization your receiver wants). @default {} */
  headers?: Record<string, string>;
}

/** A Pusher-protocol app: clients connect to /app/{key}, servers call /apps/{id}/… signed with the secret. */
export interface AppConfig {
  /** The app id in HTTP API paths (/apps/{id}/events). */
  id: string;
  /** The public key clients connect with (ws://host/app/{key}). */
  key: string;
  /** Signs channel and user authorizations, API requests and webhooks; never sent anywhere. */
  secret: string;
  /** Relay client-* events on private and presence channels. @default true */
  clientEvents?: boolean;
  /** Client events a connection may send per second; more get pusher:error 4301 and are dropped. @default 10 */
  clientEventsPerSecond?: number;
  /** Longest channel name accepted. @default 164 */
  maxChannelNameLength?: number;
  /** Largest event `data`, in bytes, from clients or the HTTP API; bigger gets pusher:error / 413. @default 10240 */
  maxEventSize?: number;
  /** Channels one connection may be subscribed to at once; beyond it a subscribe gets pusher:subscription_error LimitReached. @default 100 */
  maxChannelsPerConnection?: number;
  /**
   * Frames (pings, subscribes, client events, …) one connection may send per second, with a burst of twice
   * maxChannelsPerConnection on top (the subscribes at connect); over it pusher:error 4303 and close 4303. 0: no limit. @default 100
   */
  messagesPerSecond?: number;
  /** Members (distinct users) of one presence channel, cluster-wide. @default 100 */
  maxPresenceMembers?: number;
  /** Largest presence user_info, in bytes of JSON. @default 1024 */
  maxUserInfoSize?: number;
  /** Send pusher_internal:subscription_count to subscribers of non-presence channels when the count changes. @default false */
  subscriptionCount?: boolean;
  /** Seconds of silence before the server sends pusher:ping; a client silent as long again is closed with 4201. Told to clients as activity_timeout. @default 30 */
  activityTimeout?: number;
  /** Where to send webhooks. @default [] */
  webhooks?: WebhookConfig[];
  // -- per-app limits (src/apps/limits.ts); 0 means no limit --
  /** false: new sockets are closed with 4003 and the HTTP API answers 403. @default true */
  enabled?: boolean;
  /** Open sockets of this app across every worker and node; one more is closed with 4004. @default 0 */
  maxConnections?: number;
  /** HTTP API events (each channel of each event counts once) per second, per process; more get 429. @default 0 */
  maxBackendEventsPerSecond?: number;
  /** Client events per second of the whole app, per process (beside clientEventsPerSecond per socket). @default 0 */
  maxClientEventsPerSecond?: number;
  /** HTTP API GET requests per second, per process; more get 429. @default 0 */
  maxReadRequestsPerSecond?: number;
  /** Browser origins allowed to connect ('https://*.example.com'); others are closed with 4009. @default [] (any) */
  allowedOrigins?: string[];
}

/** Apps read from a database instead of the config (src/apps/): looked up by key and id, cached per process for cacheTtl. */
export interface AppsDatabaseConfig {
  driver: 'postgres' | 'sqlite';
  /** postgres: 'postgres://user:pass@host:5432/db'. */
  url?: string;
  /** sqlite: the database file, relative to the project root. */
  path?: string;
  /** The apps table (layout in the README, "Apps from a database"). @default 'ody_apps' */
  table?: string;
  /** Seconds a looked-up app (or an unknown key) is trusted before it is read again. @default 10 */
  cacheTtl?: number;
  /** Milliseconds a lookup may take before the key counts as unknown (database slow or down). @default 1000 */
  lookupTimeout?: number;
}

export type ResolvedApp = Required<Omit<AppConfig, 'webhooks'>> & { webhooks: Required<WebhookConfig>[] };

/** A route handler: a function `(request, ctx) => Response` or [Class, 'method'], optionally with its own middleware. */
export type RouteSpec = CallbackSpec | { handler: CallbackSpec; middleware?: Middleware[] };

export interface OdyConfig {
  /** Address to bind. @default '127.0.0.1' (WEBSOCKET_HOST) */
  host?: string;
  /** TCP port. @default 9502 (WEBSOCKET_PORT) */
  port?: number;
  /** 'tcp', or 'unix' with `path`. @default 'tcp' */
  sockType?: 'tcp' | 'unix';
  /** Unix socket path, with sockType 'unix'. */
  path?: string;
  /** Serve wss:// and https:// with these PEM files. @default off */
  ssl?: { certFile: string; keyFile: string } | null;
  /** Event name -> [Class, 'method'] or a function. @default the built-in Server for all six */
  callbacks?: Partial<Record<EventName, CallbackSpec>>;
  /** Shared secret for the built-in handshake and HTTP API. @default '123123123' (loopback only) */
  secretKey?: string;
  /** Plain HTTP routes, 'METHOD /path/:param' -> handler; unmatched requests go to onRequest. @default {} */
  routes?: Record<string, RouteSpec>;
  /** Middleware run, in order, for every HTTP request and every handshake. @default [] */
  middleware?: Middleware[];
  security?: SecurityConfig;
  api?: ApiConfig;
  /** Scale-out: how workers and machines reach each other. */
  adapter?: AdapterConfig;
  health?: HealthConfig;
  metrics?: MetricsConfig;
  /** Pusher-protocol apps served on /app/{key} and /apps/{id}/… @default [] (WEBSOCKET_APP_ID, WEBSOCKET_APP_KEY, WEBSOCKET_APP_SECRET in the embedded default) */
  apps?: AppConfig[] | AppsDatabaseConfig;
  additional?: AdditionalConfig;
}

export interface ResolvedConfig {
  host: string;
  port: number;
  sockType: 'tcp' | 'unix';
  path: string;
  ssl: { certFile: string; keyFile: string } | null;
  callbacks: Partial<Record<EventName, CallbackSpec>>;
  secretKey: string;
  routes: Record<string, RouteSpec>;
  middleware: Middleware[];
  security: Required<SecurityConfig>;
  api: Required<ApiConfig>;
  adapter: Required<AdapterConfig>;
  health: Required<HealthConfig>;
  metrics: Required<MetricsConfig>;
  apps: ResolvedApp[];
  /** Set when `apps` names a database (then `apps` is empty). */
  appsDatabase: Required<AppsDatabaseConfig> | null;
  additional: Required<Omit<AdditionalConfig, 'table'>> & { table: TableConfig };
  /** Project root (--root, else cwd): relative paths resolve against it. */
  root: string;
  /** The config file loaded, or null for the embedded default. */
  configFile: string | null;
}

export const DEFAULT_SECRET = '123123123';

export function defaultAdditional(): ResolvedConfig['additional'] {
  return {
    workerNum: availableParallelism(),
    logLevel: 'info',
    logFile: 'storage/logs/ody_websockets.log',
    logFormat: 'text',
    maxPayloadLength: 1024 * 1024,
    idleTimeout: 120,
    sendPings: true,
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    maxConnections: 0,
    maxConnectionsPerIp: 0,
    requestLog: false,
    pidFile: 'storage/ody_websockets.pid',
    shutdownTimeout: 10,
    table: { ...DEFAULT_TABLE },
  };
}

export function defaultSecurity(): Required<SecurityConfig> {
  return { allowedOrigins: [], handshakeRateLimit: false, httpRateLimit: false, messageRateLimit: false, trustProxy: false };
}

export function defaultApi(): Required<ApiConfig> {
  return { enabled: true, prefix: '/_ody', maxBodySize: 1024 * 1024 };
}

export function defaultAdapter(): Required<AdapterConfig> {
  return { driver: 'memory', url: 'redis://127.0.0.1:6379', prefix: 'ody', requestTimeout: 2000 };
}

export function defaultHealth(): Required<HealthConfig> {
  return { enabled: true, path: '/health', readyPath: '/ready' };
}

export function defaultMetrics(): Required<MetricsConfig> {
  return { enabled: true, path: '/metrics' };
}

export function defaultApp(): Omit<ResolvedApp, 'id' | 'key' | 'secret'> {
  return { clientEvents: true, clientEventsPerSecond: 10, maxChannelNameLength: 164, maxEventSize: 10 * 1024, maxChannelsPerConnection: 100, messagesPerSecond: 100, maxPresenceMembers: 100, maxUserInfoSize: 1024, subscriptionCount: false, activityTimeout: 30, webhooks: [],
    enabled: true, maxConnections: 0, maxBackendEventsPerSecond: 0, maxClientEventsPerSecond: 0, maxReadRequestsPerSecond: 0, allowedOrigins: [] };
}

/** Identity helper: gives config files types and autocompletion. */
export function defineConfig(config: OdyConfig): OdyConfig {
  return config;
}

export type { Hooks };
