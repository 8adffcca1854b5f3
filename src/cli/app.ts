// The entry of an app binary: registers the config compiled into it, then runs the ody CLI as usual.
import { embedConfig, type EmbeddedConfig } from '../config/embedded';
import { run } from './main';

export async function runApp(config: EmbeddedConfig): Promise<void> {
  embedConfig(config);
  const code = await run(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
