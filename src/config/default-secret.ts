// The well-known default secret is for development on one machine: where it is refused, at start and per request.
import { OdyError } from '../errors';
import { DEFAULT_SECRET, type ResolvedConfig } from './schema';

const HOW = 'set WEBSOCKET_SECRET_KEY in .env (or secretKey in config) to a long random value, e.g. `openssl rand -hex 32`';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A peer address on this machine: loopback (also IPv4-mapped), or '' for a unix socket. */
export function isLocalPeer(address: string): boolean {
  return address === '' || isLoopback(address) || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(address);
}

/**
 * Refuses a config whose default secret would be reachable from off this machine: bound to a public
 * address, or behind a reverse proxy (trustProxy), which turns internet clients into loopback peers.
 */
export function assertSafeSecret(config: ResolvedConfig): void {
  if (config.secretKey !== DEFAULT_SECRET) return;
  if (config.sockType === 'tcp' && !isLoopback(config.host)) throw new OdyError(`refusing to bind ${config.host} with the default secret key: ${HOW}`, 'E_SECURITY');
  if (config.security.trustProxy) {
    throw new OdyError(`refusing to start with the default secret key and security.trustProxy (requests arrive from off this machine through the proxy): ${HOW}`, 'E_SECURITY');
  }
}
