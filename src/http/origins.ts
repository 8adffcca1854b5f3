// allowOrigins(): refuses WebSocket handshakes from browser pages on origins not in the list (403).
import type { Middleware } from './middleware';

/**
 * 'https://*.example.com' -> a RegExp; '*' stands for one DNS label or a port, never a dot or slash,
 * so '*.example.com' cannot be satisfied by 'evil.com/.example.com' or 'a.b.example.com'.
 */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const regexes = patterns.map((p) => new RegExp(`^${p.toLowerCase().split('*').map(escape).join('[a-z0-9-]+')}$`));
  return (origin) => regexes.some((r) => r.test(origin.toLowerCase()));
}

/**
 * Applies to handshakes only. A handshake without an Origin header passes: browsers always send one, so
 * only non-browser clients lack it, and those can send any Origin they like anyway. The check stops other
 * websites from opening sockets with a visitor's cookies; the secret or a token is what authenticates.
 */
export function allowOrigins(patterns: readonly string[]): Middleware {
  const allowed = originMatcher(patterns);
  return (request, next, ctx) => {
    const origin = request.headers.get('origin');
    if (ctx.kind !== 'handshake' || origin === null || allowed(origin)) return next();
    return new Response('Forbidden: origin not allowed\n', { status: 403 });
  };
}
