// `ody token`: mint a signed, expiring connection token with the project's secret; prints the token, never the secret.
import { defineCommand } from 'citty';
import { loadConfig } from '../config/load';
import { DEFAULT_SECRET } from '../config/schema';
import { OdyError } from '../errors';
import { signToken } from '../http/token';

/** '90' or '90s', '15m', '2h', '7d' -> seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'] : 0;
  if (!seconds) throw new OdyError(`--expires-in: expected a duration like 90s, 15m, 2h or 7d, got '${text}'`, 'E_CLI');
  return seconds;
}

function parsePayload(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OdyError(`--payload: expected a JSON object, e.g. '{"sub":"user-42"}' (${(error as Error).message})`, 'E_CLI');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OdyError(`--payload: expected a JSON object, e.g. '{"sub":"user-42"}'`, 'E_CLI');
  return value as Record<string, unknown>;
}

export const token = defineCommand({
  meta: { name: 'token', description: 'Print a signed connection token for browsers (the built-in handshake accepts it instead of the secret)' },
  args: {
    payload: { type: 'string', description: 'JSON object carried by the token, e.g. \'{"sub":"user-42"}\' (default: {})' },
    'expires-in': { type: 'string', description: 'How long the token is accepted: 90s, 15m, 2h, 7d (default: 15m)' },
    config: { type: 'string', description: 'Config file (default: <root>/config/websockets.ts)' },
    root: { type: 'string', description: 'Project root holding config/ and .env (default: current directory)' },
  },
  async run({ args }) {
    const payload = parsePayload(args.payload ?? '{}');
    const expiresIn = parseDuration(args['expires-in'] ?? '15m');
    const config = await loadConfig({ root: args.root, config: args.config });
    if (config.secretKey === DEFAULT_SECRET) process.stderr.write('ody: warning: signed with the default development secret; set WEBSOCKET_SECRET_KEY for real use\n');
    process.stdout.write(`${signToken(payload, { secret: config.secretKey, expiresIn })}\n`);
  },
});
