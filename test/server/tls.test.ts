// Rule: with ssl.certFile/keyFile the same port serves wss:// and https://, verified by clients that trust only that certificate.
import { beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, WsServer } from '../../src/index';
import { open } from '../helpers/client';
import { serve } from '../helpers/server';

const openssl = Bun.which('openssl');
// CI installs openssl (see .ci/run) and must run these; elsewhere they are skipped only when it is absent.
const missing = !openssl && !process.env.CI;
if (missing) console.warn('skipping TLS tests: openssl not found (apt-get install openssl)');

let dir = '';
let ca = '';

beforeAll(() => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'ody-tls-'));
  const made = Bun.spawnSync(
    [openssl ?? 'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
});

const tlsServer = () =>
  serve({
    ssl: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
    callbacks: { message: (server: WsServer, f: Frame) => void server.push(f.fd, `secure echo ${f.data}`), request: () => new Response('over https') },
  });

test.skipIf(missing)('wss:// works for a client that trusts the self-signed certificate', async () => {
  await using s = tlsServer();
  expect(s.url.protocol).toBe('wss:');
  using c = await open(s.url.href, { lib: 'ws', ca });
  c.send('hi');
  expect(await c.next()).toBe('secure echo hi');
});

test.skipIf(missing)('https:// works on the same port for a client that trusts the certificate', async () => {
  await using s = tlsServer();
  const res = await fetch(s.url.href.replace(/^wss/, 'https'), { tls: { ca } });
  expect([res.status, await res.text()]).toEqual([200, 'over https']);
});

test.skipIf(missing)('a client that does not trust the certificate is refused, and plain ws:// gets no WebSocket', async () => {
  await using s = tlsServer();
  const untrusted = await fetch(s.url.href.replace(/^wss/, 'https')).then(() => 'connected', (e: Error) => e.message);
  expect(untrusted).toMatch(/certificate/i);
  const plain = await open(s.url.href.replace(/^wss/, 'ws'), { lib: 'ws' }).then(() => 'opened', () => 'refused');
  expect(plain).toBe('refused');
});
