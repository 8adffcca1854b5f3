// Starts this project with ody on a free port and talks to it over a real WebSocket.
// Run: BUN_BE_BUN=1 ody test (the Bun inside ody runs it), or bun test with ody on PATH (or ODY_BIN=/path/to/ody).
import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ody = process.env.ODY_BIN ?? (process.env.BUN_BE_BUN ? process.execPath : 'ody');
const config = join(import.meta.dir, '..', 'config', 'websockets.ts');

/** Reads the server's output until its "listening on ws://..." line. */
async function listeningUrl(output: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  const reader = output.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += decoder.decode(r.value, { stream: true });
    const match = /listening on (ws\S+)/.exec(text);
    if (match) return match[1]!;
  }
  throw new Error(`the server exited before listening:\n${text}`);
}

test('a message sent over a WebSocket comes back', async () => {
  // A scratch root keeps this server's pid file away from a development server of the same project.
  const root = mkdtempSync(join(tmpdir(), 'app-test-'));
  const { BUN_BE_BUN, ...env } = process.env; // the server must run as ody, not as Bun
  const server = Bun.spawn([ody, 'websocket', 'start', '--config', config, '--root', root, '--port', '0'], {
    env: { ...env, WEBSOCKET_HOST: '127.0.0.1', WEBSOCKET_WORKER_COUNT: '1' },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  try {
    const ws = new WebSocket(await listeningUrl(server.stdout));
    const reply = new Promise<string>((resolve, reject) => {
      ws.onmessage = (event) => resolve(String(event.data));
      ws.onclose = () => reject(new Error('closed before a reply'));
    });
    ws.onopen = () => ws.send('hello');
    expect(await reply).toBe('hello');
    ws.close();
  } finally {
    server.kill();
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  }
}, 20_000);
