// The native digests give the published test vectors, and the comparison tells equal from unequal at every position.
import { expect, test } from 'bun:test';
import { equalInConstantTime, hmacSha256, md5Hex, sha256 } from './crypto';

test('HMAC-SHA256 gives RFC 4231 test case 2, in hex and base64url', () => {
  expect(hmacSha256('Jefe', 'what do ya want for nothing?', 'hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  expect(hmacSha256('Jefe', 'what do ya want for nothing?', 'base64url')).toBe(Buffer.from('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'hex').toString('base64url'));
});

test('SHA-256 and MD5 give the FIPS 180-2 and RFC 1321 vectors', () => {
  expect(sha256('abc', 'hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect(sha256(new TextEncoder().encode('abc'), 'base64')).toBe('ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  expect(md5Hex('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
});

test('equalInConstantTime: equal only when every byte and the length match', () => {
  const base = 'c17257e92037cd7de407ebc1ed174ceb';
  expect(equalInConstantTime(base, base.slice())).toBe(true);
  expect(equalInConstantTime('', '')).toBe(true);
  for (let i = 0; i < base.length; i++) {
    const changed = `${base.slice(0, i)}${base[i] === 'a' ? 'b' : 'a'}${base.slice(i + 1)}`;
    expect(equalInConstantTime(base, changed)).toBe(false);
  }
  expect(equalInConstantTime(base, base.slice(0, -1))).toBe(false);
  expect(equalInConstantTime('é', 'e')).toBe(false); // compared as UTF-8 bytes
  expect(equalInConstantTime('é', 'é')).toBe(true);
});
