// What `ody websocket start` says under its "listening on" line: where a newcomer looks first (the demo page,
// the Pusher endpoints), how the server is laid out (workers, adapter), and that the development secret is in use.
import { DEFAULT_SECRET, type ResolvedConfig } from '../config/schema';
import { Server } from '../server/default-server';

/** A Redis URL without its password: never into a log line. */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/, '$1***@');
}

/** Apps listed by name before the rest are counted: the banner stays a few lines for any config. */
const APPS_SHOWN = 3;

export interface StartLines {
  info: string[];
  warn: string[];
}

/** The lines for a server that listens on `url` (ws://host:port, wss://…, or ws+unix://path): one or two, and one per Pusher app. */
export function startLines(config: ResolvedConfig, url: string): StartLines {
  const http = url.startsWith('ws+unix:') ? undefined : url.replace(/^ws/, 'http');
  const workers = config.additional.workerNum;
  const adapter = config.adapter.driver === 'redis' ? `redis at ${maskUrl(config.adapter.url)}, prefix '${config.adapter.prefix}'` : workers > 1 ? 'ipc' : 'memory';
  const layout = `${workers} ${workers === 1 ? 'worker' : 'workers'}, adapter: ${adapter}`;
  const request = config.callbacks.request;
  const demo = http && Array.isArray(request) && request[0] === Server && request[1] === 'onRequest';
  const info = [demo ? `demo page: ${http}/${config.apps.length > 0 ? ` (presence: ${http}/presence)` : ''} · ${layout}` : layout];
  for (const app of config.apps.slice(0, APPS_SHOWN)) info.push(`Pusher app '${app.id}': clients ${url}/app/${app.key} · HTTP API ${http ?? url}/apps/${app.id}`);
  if (config.apps.length > APPS_SHOWN) info.push(`and ${config.apps.length - APPS_SHOWN} more Pusher apps`);
  const warn: string[] = [];
  if (config.secretKey === DEFAULT_SECRET) {
    warn.push('the development secret key is in use: fine on loopback, refused on any other address; set WEBSOCKET_SECRET_KEY in .env before you deploy');
  }
  return { info, warn };
}
