// Rule (issue 12, end to end): from an empty folder, `ody init`, `ody build --image` and `podman build` give a minimal
// image (no shell, no package manager, non-root, EXPOSE, a HEALTHCHECK without a shell) that serves WebSockets and
// passing Prometheus metrics when its filesystem runs under chroot, as a container runtime would run it.
import { expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareEnv, ensureBinary } from '../helpers/binary';
import { open } from '../helpers/client';
import { freePort, haveTool, runTool } from '../helpers/tools';

// Under CI it always runs (and fails loudly without root or a tool); elsewhere it skips, saying why.
const isRoot = process.getuid?.() === 0 || process.env.CI === 'true';
if (!isRoot) console.log('skipping the image test: chroot and mount need root');
const runnable = isRoot && haveTool('podman', 'promtool', 'chroot', 'mount', 'mknod', 'tar');

interface ImageConfig {
  Config: { User: string; Env: string[]; Entrypoint: string[]; Cmd: string[]; WorkingDir: string; ExposedPorts: Record<string, object> };
  Healthcheck?: { Test: string[] };
  Size: number;
}

/** Runs a command that must succeed; fails the test with its output otherwise. */
async function must(cmd: string[], options: Parameters<typeof runTool>[1] = {}): Promise<string> {
  const result = await runTool(cmd, { timeoutMs: 120_000, ...options });
  if (result.code !== 0) throw new Error(`${cmd.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Mount points below `dir`, deepest first, from this process's mount table. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(`${dir}/`)).sort().reverse();
}

test.skipIf(!runnable)('empty folder -> ody init -> ody build --image -> podman build -> chroot run: WebSocket round trip, healthcheck, promtool', async () => {
  const ody = ensureBinary();
  const work = mkdtempSync(join(tmpdir(), 'ody-image-'));
  const tag = `localhost/ody-e2e-${process.pid}-${Date.now()}`;
  const rootfs = join(work, 'rootfs');
  let server: Bun.Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
  try {
    // The Deploy section of the README, command for command.
    await must([ody, 'init', 'chat'], { cwd: work, env: bareEnv() });
    const app = join(work, 'chat');
    await must([ody, 'build', '--image'], { cwd: app, env: bareEnv() });
    await must(['podman', 'build', '--network=none', '--format', 'docker', '-t', tag, '.'], { cwd: app });
    const [image] = JSON.parse(await must(['podman', 'image', 'inspect', tag])) as ImageConfig[];
    console.log(`image ${tag}: ${(image!.Size / 1e6).toFixed(1)} MB`);
    const { Config: config, Healthcheck: healthcheck } = image!;
    expect([config.User, Object.keys(config.ExposedPorts), config.Entrypoint, config.Cmd, config.WorkingDir]).toEqual(['10001:10001', ['9502/tcp'], ['/app/ody'], ['websocket', 'start'], '/app']);
    expect(healthcheck?.Test).toEqual(['CMD', '/app/ody', 'healthcheck']); // exec form: no shell

    // The image's filesystem, as a runtime would unpack it.
    const container = (await must(['podman', 'create', tag])).trim();
    await must(['podman', 'export', '-o', join(work, 'image.tar'), container]);
    await must(['podman', 'rm', container]);
    mkdirSync(rootfs);
    await must(['tar', '-xf', join(work, 'image.tar'), '-C', rootfs]);
    const files = [...new Bun.Glob('**/*').scanSync({ cwd: rootfs, dot: true })].sort();
    const unexpected = files.filter((f) => !['app/ody', 'app/storage/.keep', 'etc/passwd', 'etc/group'].includes(f) && !/^lib(64)?\/([\w-]+\/)?[\w.+-]+\.so(\.\d+)*$/.test(f));
    expect(unexpected).toEqual([]); // no shell, no package manager, nothing but the binary, its libraries and the user
    expect(statSync(join(rootfs, 'app/storage')).uid).toBe(10001);

    // What a runtime provides: /proc (Bun aborts without it) and a /dev with the usual nodes.
    await must(['mount', '-t', 'proc', 'proc', join(rootfs, 'proc')]);
    await must(['mount', '-t', 'tmpfs', '-o', 'mode=755,nosuid', 'tmpfs', join(rootfs, 'dev')]);
    for (const [node, minor] of [['null', 3], ['zero', 5], ['random', 8], ['urandom', 9]] as const) {
      await must(['mknod', '-m', '666', join(rootfs, 'dev', node), 'c', '1', String(minor)]);
    }

    // The image's command as its user, in its working directory (chroot(1) always starts in /, hence --root).
    const port = freePort();
    const secret = `e2e-${crypto.randomUUID()}`;
    const env = { ...Object.fromEntries(config.Env.map((e) => e.split(/=(.*)/s).slice(0, 2))), WEBSOCKET_HOST: '127.0.0.1', WEBSOCKET_PORT: String(port), WEBSOCKET_SECRET_KEY: secret };
    const inImage = (argv: string[]) => ['chroot', `--userspec=${config.User}`, rootfs, ...argv, '--root', config.WorkingDir];
    server = Bun.spawn(inImage([...config.Entrypoint, ...config.Cmd]), { env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    let output = '';
    const reader = server.stdout.getReader();
    const decoder = new TextDecoder();
    while (!output.includes('listening on')) {
      const r = await Promise.race([reader.read(), Bun.sleep(20_000).then(() => ({ done: true, value: undefined }))]);
      if (r.done) throw new Error(`the image's server did not start: ${output}${await new Response(server.stderr).text()}`);
      output += decoder.decode(r.value, { stream: true });
    }
    expect(output).toContain(`ody listening on ws://127.0.0.1:${port}`);
    expect(readFileSync(`/proc/${server.pid}/status`, 'utf8')).toMatch(/^Uid:\t10001\t10001\t/m);
    expect(statSync(join(rootfs, 'app/storage/ody_websockets.pid')).uid).toBe(10001);

    using client = await open(`ws://127.0.0.1:${port}`);
    client.send('hello from the host');
    expect(await client.next()).toBe('hello from the host'); // the init controller echoes

    const health = await runTool(inImage(healthcheck!.Test.slice(1)), { env, timeoutMs: 20_000 });
    expect([health.code, health.stdout]).toEqual([0, `healthy: GET http://127.0.0.1:${port}/health: 200 {"status":"ok"}\n`]);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${secret}` } })).text();
    expect(metrics).toContain('ody_messages_received_total{worker="0"} 1\n');
    expect(metrics).toContain('ody_connections{worker="0"} 1\n');
    const check = await runTool(['promtool', 'check', 'metrics'], { stdin: metrics });
    expect([check.code, check.stdout + check.stderr]).toEqual([0, '']);

    client.close();
    server.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await server.exited;
    }
    for (const mount of mountsUnder(rootfs)) {
      if ((await runTool(['umount', mount])).code !== 0) await runTool(['umount', '-l', mount]);
    }
    await runTool(['podman', 'rmi', '-f', tag]);
    // Never delete through a mount point that is still there.
    const left = mountsUnder(rootfs);
    if (left.length > 0) throw new Error(`still mounted, not deleting ${work}: ${left.join(', ')}`);
    rmSync(work, { recursive: true, force: true });
  }
}, 240_000);
