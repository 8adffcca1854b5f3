// Digests, HMACs and constant-time comparison on Bun's native hasher: importing node:crypto would cost every server
// process about 1 MB of memory for these few calls.

type Encoding = 'hex' | 'base64' | 'base64url';

export function sha256(data: string | Uint8Array, encoding: Encoding): string {
  return new Bun.CryptoHasher('sha256').update(data).digest(encoding);
}

export function md5Hex(data: string): string {
  return new Bun.CryptoHasher('md5').update(data).digest('hex');
}

export function hmacSha256(secret: string, text: string, encoding: Encoding): string {
  return new Bun.CryptoHasher('sha256', secret).update(text).digest(encoding);
}

/** Equal strings in time that depends only on their lengths (compare digests, whose length is public). */
export function equalInConstantTime(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

