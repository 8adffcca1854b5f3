// What `ody websocket start` does for apps before it listens: say which Reverb/Soketi env names it used, and read
// the apps database once (unreadable -> one clear line, exit 1).
import type { ResolvedConfig } from '../config/schema';
import { logger } from '../log/logger';
import { compatUsed } from './env-compat';
import { AppManager } from './manager';

export async function prepareApps(config: ResolvedConfig): Promise<void> {
  for (const line of compatUsed()) logger.info(`using ${line}`);
  await AppManager.checkAtStart(config);
}
