// Finds the project's pid file for stop/reload/status, even when its config no longer loads.
import { resolve } from 'node:path';
import { loadConfig } from '../config/load';
import { defaultAdditional } from '../config/schema';

export async function pidFileFor(args: { root?: string; config?: string }): Promise<{ pidFile: string; shutdownTimeout: number }> {
  try {
    const config = await loadConfig({ root: args.root, config: args.config });
    return { pidFile: config.additional.pidFile, shutdownTimeout: config.additional.shutdownTimeout };
  } catch {
    // A broken config must not keep anyone from stopping the server: fall back to the default location.
    const d = defaultAdditional();
    return { pidFile: resolve(args.root ?? process.cwd(), d.pidFile), shutdownTimeout: d.shutdownTimeout };
  }
}
