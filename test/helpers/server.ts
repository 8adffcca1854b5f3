// Test helper: a real ody server on 127.0.0.1 port 0, disposed with `await using`.
import { resolveConfig } from '../../src/config/validate';
import type { OdyConfig } from '../../src/config/schema';
import { resolveHooks } from '../../src/server/callbacks';
import { startServer, type RunningServer } from '../../src/server/serve';
import { logger, setLogLevel } from '../../src/log/logger';

export interface TestServer extends RunningServer, AsyncDisposable {
  /** ws://127.0.0.1:PORT */
  ws: string;
  /** http://127.0.0.1:PORT */
  http: string;
}

export function serve(user: OdyConfig = {}): TestServer {
  const config = resolveConfig(
    { host: '127.0.0.1', port: 0, ...user, additional: { workerNum: 1, logLevel: 'error', ...user.additional } },
    process.cwd(),
    null,
  );
  setLogLevel(config.additional.logLevel);
  const running = startServer(config, resolveHooks(config.callbacks));
  const port = running.node.bun.port;
  return Object.assign(running, {
    ws: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: () => running.stop(),
  });
}

/** Records log lines (all levels) while the returned handle lives. */
export function captureLogs(): { lines: string[] } & Disposable {
  const lines: string[] = [];
  const level = logger.level;
  logger.level = 5;
  const reporter = { log: (o: { type: string; args: unknown[] }) => lines.push(`${o.type} ${o.args.map(String).join(' ')}`) };
  const reporters = logger.options.reporters;
  logger.options.reporters = [reporter];
  return {
    lines,
    [Symbol.dispose]() {
      logger.options.reporters = reporters;
      logger.level = level;
    },
  };
}

/** Resolves when `check` passes, polling; fails with `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}
