// Secret checks shared by the built-in handshake and HTTP endpoints: constant-time, never logged.
import { equalInConstantTime, sha256 } from '../crypto';

/** Compares in time independent of where the strings differ (and of their lengths, via fixed-size digests). */
export function safeEqual(given: string, expected: string): boolean {
  return equalInConstantTime(sha256(given, 'hex'), sha256(expected, 'hex'));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}

/** True when the request carries the secret in `x-api-key` or as a bearer token. */
export function hasApiKey(request: Request, secret: string): boolean {
  const key = request.headers.get('x-api-key') ?? bearerToken(request);
  return key !== undefined && key !== null && safeEqual(key, secret);
}
