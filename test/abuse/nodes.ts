// Test helper: a node of a real cluster in this process — the real server on port 0 on a real Redis adapter, as
// `ody websocket start` runs a single-process node (src/cluster/host.ts), disposed with `await using`.
import { createAdapter } from '../../src/adapters';
import type { OdyConfig } from '../../src/config/schema';
import { resolveConfig } from '../../src/config/validate';
import { setLogLevel } from '../../src/log/logger';
import { resolveHooks } from '../../src/server/callbacks';
import { Node } from '../../src/server/node';
import { startServer } from '../../src/server/serve';
import type { TestServer } from '../helpers/server';

export async function serveNode(user: OdyConfig & { adapter: NonNullable<OdyConfig['adapter']> }): Promise<TestServer> {
  const config = resolveConfig({ host: '127.0.0.1', port: 0, ...user, additional: { workerNum: 1, logLevel: 'error', ...user.additional } }, process.cwd(), null);
  setLogLevel(config.additional.logLevel);
  const node = new Node(createAdapter(config));
  await node.adapter.start(node);
  const running = startServer(config, resolveHooks(config.callbacks), { node });
  const port = running.node.bun.port;
  return Object.assign(running, { ws: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}`, [Symbol.asyncDispose]: () => running.stop() });
}
