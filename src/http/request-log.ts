// requestLog(): one info line per HTTP request or handshake, without the query string (tokens travel there).
import { logger } from '../log/logger';
import type { Middleware } from './middleware';

export function requestLog(): Middleware {
  return async (request, next, ctx) => {
    const started = performance.now();
    const path = new URL(request.url).pathname;
    const what = ctx.kind === 'handshake' ? `WS ${path}` : `${request.method} ${path}`;
    try {
      const response = await next();
      logger.info(`${what} ${response.status} ${(performance.now() - started).toFixed(1)}ms ${ctx.ip}`);
      return response;
    } catch (error) {
      logger.info(`${what} 500 ${(performance.now() - started).toFixed(1)}ms ${ctx.ip}`);
      throw error;
    }
  };
}
