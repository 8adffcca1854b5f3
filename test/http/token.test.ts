// Rule: a token is base64url(JSON with exp) + '.' + base64url(HMAC-SHA256(secret, first part)); altered or expired ones are refused.
import { expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { signToken, verifyToken } from '../../src/index';

const SECRET = 'token-secret-0123456789';

/** Mints a token the way the README documents it, independently of src/http/token.ts (as another backend would). */
function mint(payload: object, secret = SECRET): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

test('signToken produces the documented format, carrying the payload and exp', () => {
  const before = inSeconds(0);
  const token = signToken({ sub: 'ada', room: 7 }, { secret: SECRET, expiresIn: 600 });
  const [body] = token.split('.');
  const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
  expect(payload.exp - before).toBeGreaterThanOrEqual(600);
  expect(payload.exp - before).toBeLessThanOrEqual(601);
  expect(token).toBe(mint({ sub: 'ada', room: 7, exp: payload.exp }));
});

test('verifyToken accepts a token minted elsewhere with the same secret and returns its payload', () => {
  const exp = inSeconds(60);
  expect(verifyToken(mint({ sub: 'grace', exp }), SECRET)).toEqual({ ok: true, payload: { sub: 'grace', exp } });
});

test('a changed payload, a changed signature character, or another secret is a bad signature', () => {
  const token = signToken({ sub: 'ada' }, { secret: SECRET, expiresIn: 600 });
  const [body, sig] = token.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ sub: 'admin', exp: inSeconds(600) })).toString('base64url');
  // The last base64 character holds 2 spare bits: a lenient decode maps its alphabet neighbour to the same bytes.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const neighbour = ALPHABET[ALPHABET.indexOf(sig.at(-1)!) ^ 1]!;
  expect(Buffer.from(`${sig.slice(0, -1)}${neighbour}`, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
  expect([
    verifyToken(`${forged}.${sig}`, SECRET),
    verifyToken(`${body}.${sig.slice(0, -1)}${neighbour}`, SECRET),
    verifyToken(token, 'another-secret'),
  ]).toEqual([{ ok: false, reason: 'bad signature' }, { ok: false, reason: 'bad signature' }, { ok: false, reason: 'bad signature' }]);
});

test('an expired token is refused as expired; one without exp or not an object is malformed', () => {
  expect(verifyToken(mint({ sub: 'ada', exp: inSeconds(-1) }), SECRET)).toEqual({ ok: false, reason: 'expired' });
  expect(verifyToken(mint({ sub: 'ada' }), SECRET)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyToken(mint([1, 2]), SECRET)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyToken('no-dot-here', SECRET)).toEqual({ ok: false, reason: 'malformed' });
  expect(verifyToken('a.b.c', SECRET)).toEqual({ ok: false, reason: 'malformed' });
});

test('verifyToken checks expiry against the time given', () => {
  const token = signToken({}, { secret: SECRET, expiresIn: 60 });
  expect([verifyToken(token, SECRET, Date.now() + 30_000).ok, verifyToken(token, SECRET, Date.now() + 61_000).ok]).toEqual([true, false]);
});

test('signToken refuses an empty secret or a non-positive lifetime', () => {
  expect(() => signToken({}, { secret: '', expiresIn: 60 })).toThrow('secret must be a non-empty string');
  expect(() => signToken({}, { secret: SECRET, expiresIn: 0 })).toThrow('expiresIn must be a positive number of seconds');
  expect(() => signToken({}, { secret: SECRET, expiresIn: Number.NaN })).toThrow('expiresIn must be a positive number of seconds');
});
