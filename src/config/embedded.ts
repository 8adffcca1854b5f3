// The config an app binary carries (ody build): loadConfig uses it instead of looking for config files.

export interface EmbeddedConfig {
  /** The file it was built from, relative to the project, for log lines. */
  name: string;
  /** Imports it: late, so that env() in it reads the .env of the root chosen at run time. */
  load(): Promise<{ default?: unknown }>;
}

let embedded: EmbeddedConfig | undefined;

export function embedConfig(config: EmbeddedConfig): void {
  embedded = config;
}

export function embeddedConfig(): EmbeddedConfig | undefined {
  return embedded;
}
