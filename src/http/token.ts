// Signed, expiring connection tokens: what a browser presents instead of the secret key.
// Format: base64url(JSON payload with `exp` in epoch seconds) + '.' + base64url(HMAC-SHA256(secret, that first part)).
import { equalInConstantTime, hmacSha256 } from '../crypto';

export interface TokenOptions {
  /** The server's secretKey. */
  secret: string;
  /** Seconds from now until the token is no longer accepted. */
  expiresIn: number;
}

/** The payload a verified token carries: what was signed, plus its expiry. */
export type TokenPayload = Record<string, unknown> & { exp: number };

export type TokenCheck = { ok: true; payload: TokenPayload } | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' };

function signature(body: string, secret: string): string {
  return hmacSha256(secret, body, 'base64url');
}

/** Mints a token carrying `payload` (e.g. `{ sub: 'user-42' }`) that the built-in handshake accepts until it expires. */
export function signToken(payload: Record<string, unknown>, { secret, expiresIn }: TokenOptions): string {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('signToken: secret must be a non-empty string');
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) throw new TypeError(`signToken: expiresIn must be a positive number of seconds, got ${expiresIn}`);
  const exp = Math.floor(Date.now() / 1000) + Math.ceil(expiresIn);
  const body = Buffer.from(JSON.stringify({ ...payload, exp })).toString('base64url');
  return `${body}.${signature(body, secret)}`;
}

/**
 * Checks signature and expiry. Signatures are compared as their canonical text, in constant time: decoding
 * base64 is lenient (the spare bits of the last character are ignored), so comparing decoded bytes would
 * accept altered tokens.
 */
export function verifyToken(token: string, secret: string, now = Date.now()): TokenCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const body = token.slice(0, dot);
  if (!equalInConstantTime(token.slice(dot + 1), signature(body, secret))) return { ok: false, reason: 'bad signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || typeof (payload as TokenPayload).exp !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if ((payload as TokenPayload).exp * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload as TokenPayload };
}
