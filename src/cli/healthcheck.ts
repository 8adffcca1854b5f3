// `ody healthcheck`: GET /health (or /ready) on the configured address; exit 0 on 200, else 1. A container's HEALTHCHECK, no shell needed.
import { defineCommand } from 'citty';
import { loadConfig } from '../config/load';
import { OdyError } from '../errors';
import { projectArgs } from './start';

/** Where to reach a server bound to `host` from the same machine: a wildcard address means "every interface", loopback included. */
export function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export const healthcheck = defineCommand({
  meta: { name: 'healthcheck', description: 'Exit 0 if the server answers its health probe with 200 (--ready: the readiness probe), else 1' },
  args: {
    ready: { type: 'boolean', description: 'Ask the readiness probe (health.readyPath) instead of liveness' },
    timeout: { type: 'string', description: 'Seconds to wait for the answer (default: 3, inside the Dockerfile HEALTHCHECK timeout)' },
    host: { type: 'string', description: 'Address to ask (default: the configured host; 0.0.0.0 means 127.0.0.1)' },
    port: { type: 'string', description: 'Port to ask (default: the configured port)' },
    ...projectArgs,
  },
  async run({ args }) {
    const seconds = Number(args.timeout ?? 3);
    if (!(seconds > 0 && seconds <= 3600)) throw new OdyError(`--timeout: expected seconds from 1 to 3600, got '${args.timeout}'`, 'E_CLI');
    const config = await loadConfig({ root: args.root, config: args.config, host: args.host, port: args.port });
    if (!config.health.enabled) throw new OdyError('health probes are off in this config (health.enabled: false)', 'E_UNHEALTHY');
    const path = args.ready ? config.health.readyPath : config.health.path;
    const unix = config.sockType === 'unix' ? config.path : undefined;
    const url = unix ? `http://localhost${path}` : `${config.ssl ? 'https' : 'http'}://${probeHost(config.host)}:${config.port}${path}`;
    const where = unix ? `${unix} ${path}` : url;
    let response: Response;
    try {
      // Loopback to our own server, no secret sent: a certificate made for the public name must not fail the probe.
      response = await fetch(url, { signal: AbortSignal.timeout(seconds * 1000), unix, tls: { rejectUnauthorized: false } });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = (error as Error).name === 'TimeoutError' ? `no answer within ${seconds} s` : code === 'ECONNREFUSED' ? 'connection refused (is the server running?)' : (code ?? (error as Error).message);
      throw new OdyError(`unhealthy: GET ${where}: ${why}`, 'E_UNHEALTHY');
    }
    const body = (await response.text()).trim().slice(0, 200);
    if (response.status !== 200) throw new OdyError(`unhealthy: GET ${where}: ${response.status} ${body}`, 'E_UNHEALTHY');
    console.log(`healthy: GET ${where}: 200 ${body}`);
  },
});
