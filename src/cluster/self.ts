// How this program starts itself again (workers, daemon): the compiled binary alone, or bun + the entry script.

/** argv prefix that re-runs ody: [binary] when compiled, [bun, main.ts] from source (where Bun must leave .env to ody). */
export function selfCommand(): string[] {
  return Bun.main.startsWith('/$bunfs/') ? [process.execPath] : [process.execPath, '--no-env-file', Bun.main];
}
