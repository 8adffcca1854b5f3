// The HTTP API's request signature: auth_key, a fresh auth_timestamp, auth_version, body_md5 recomputed, and
// auth_signature = HMAC-SHA256(secret, "METHOD\nPATH\nsorted query") compared in constant time.
import type { ResolvedApp } from '../config/schema';
import { equalInConstantTime, md5Hex } from '../crypto';
import { hmac } from './signatures';

/** How far auth_timestamp may be from our clock, either way (Pusher: 600 s). Stops replays of captured requests. */
export const TIMESTAMP_WINDOW_S = 600;

/**
 * Why the request is not signed by `app`, or undefined when it is. Query values are compared decoded, so the Node
 * SDK's raw values and the PHP SDK's percent-encoded ones both pass; the signed path starts at /apps/ (a proxy's
 * prefix in front is ignored).
 */
export function checkSignature(request: Request, app: ResolvedApp, body: string, now = Date.now()): string | undefined {
  const url = new URL(request.url);
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) params.set(k.toLowerCase(), v);
  if (!equalInConstantTime(params.get('auth_key') ?? '', app.key)) return 'auth_key does not match the app';
  const timestamp = Number(params.get('auth_timestamp'));
  if (!Number.isFinite(timestamp)) return 'auth_timestamp missing';
  if (Math.abs(now / 1000 - timestamp) > TIMESTAMP_WINDOW_S) return `auth_timestamp is more than ${TIMESTAMP_WINDOW_S} s away from the server's clock`;
  if (params.has('auth_version') && params.get('auth_version') !== '1.0') return 'auth_version must be 1.0';
  if (body.length > 0 || params.has('body_md5')) {
    const md5 = md5Hex(body);
    if (!equalInConstantTime(params.get('body_md5') ?? '', md5)) return 'body_md5 does not match the body';
  }
  const signature = params.get('auth_signature') ?? '';
  params.delete('auth_signature');
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const path = url.pathname.slice(url.pathname.indexOf('/apps/'));
  if (!equalInConstantTime(signature, hmac(app.secret, `${request.method}\n${path}\n${sorted}`))) return 'Invalid signature: check the app secret and that the request was not changed';
  return undefined;
}
