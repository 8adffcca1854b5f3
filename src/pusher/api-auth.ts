// The HTTP API's request signature: auth_key, a fresh auth_timestamp, auth_version, body_md5 recomputed, and
// auth_signature = HMAC-SHA256(secret, "METHOD\nPATH\nsorted query") compared in constant time.
import type { ResolvedApp } from '../config/schema';
import { equalInConstantTime, md5Hex } from '../crypto';
import { hmac } from './signatures';

/** How far auth_timestamp may be from our clock, either way (Pusher: 600 s). Stops replays of captured requests. */
export const TIMESTAMP_WINDOW_S = 600;

/**
 * Why the request is not signed by `app`, or undefined when it is: checked from the URL alone, before the body is
 * read, so an unsigned upload is refused without reading it (its body_md5 is compared later, by checkBody). Query
 * values are compared decoded, so the Node SDK's raw values and the PHP SDK's percent-encoded ones both pass; the
 * signed path starts at /apps/ (a proxy's prefix in front is ignored). A parameter sent twice is refused: the
 * signature would cover one value while a reader might take the other, and a captured request could be altered.
 */
export function checkSignature(request: Request, app: ResolvedApp, now = Date.now()): { status: 400 | 401; problem: string } | undefined {
  const url = new URL(request.url);
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    if (params.has(key)) return { status: 400, problem: `Query parameter '${key.slice(0, 64)}' appears more than once` };
    params.set(key, v);
  }
  const refuse = (problem: string) => ({ status: 401 as const, problem });
  if (!equalInConstantTime(params.get('auth_key') ?? '', app.key)) return refuse('auth_key does not match the app');
  const timestamp = Number(params.get('auth_timestamp'));
  if (!Number.isFinite(timestamp)) return refuse('auth_timestamp missing');
  if (Math.abs(now / 1000 - timestamp) > TIMESTAMP_WINDOW_S) return refuse(`auth_timestamp is more than ${TIMESTAMP_WINDOW_S} s away from the server's clock`);
  if (params.has('auth_version') && params.get('auth_version') !== '1.0') return refuse('auth_version must be 1.0');
  const signature = params.get('auth_signature') ?? '';
  params.delete('auth_signature');
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const path = url.pathname.slice(url.pathname.indexOf('/apps/'));
  if (!equalInConstantTime(signature, hmac(app.secret, `${request.method}\n${path}\n${sorted}`))) return refuse('Invalid signature: check the app secret and that the request was not changed');
  return undefined;
}

/** Why the body is not the one signed (body_md5, recomputed), or undefined. Call after checkSignature passed. */
export function checkBody(request: Request, body: string): string | undefined {
  const md5 = new URL(request.url).searchParams.get('body_md5');
  if (body.length === 0 && md5 === null) return undefined;
  return equalInConstantTime(md5 ?? '', md5Hex(body)) ? undefined : 'body_md5 does not match the body';
}
