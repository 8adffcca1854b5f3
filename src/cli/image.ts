// Stages the files of a FROM scratch container image: the app binary, the C libraries it links (from ldd), a non-root user.
import { chmodSync, copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OdyError } from '../errors';

/** The image's user: not root, and a number no host account is likely to have. */
export const IMAGE_UID = 10001;
/** Marks a folder as ours, so staging never deletes something it did not make. */
const MARKER = '.ody-image';

/** The shared libraries `ldd` lists for the binary (the kernel's vdso has no file), as absolute paths. */
export function linkedLibraries(binary: string): string[] {
  let result: ReturnType<typeof Bun.spawnSync>;
  try {
    result = Bun.spawnSync(['ldd', binary], { stdout: 'pipe', stderr: 'pipe' });
  } catch {
    throw new OdyError('--image needs ldd to find the C libraries the binary links (Debian: apt-get install libc-bin)', 'E_BUILD');
  }
  const text = `${result.stdout?.toString() ?? ''}${result.stderr?.toString() ?? ''}`;
  if (/not a dynamic executable|statically linked/.test(text)) return [];
  if (result.exitCode !== 0) throw new OdyError(`ldd ${binary} failed: ${text.trim().split('\n')[0]}`, 'E_BUILD');
  const libraries: string[] = [];
  for (const line of text.split('\n')) {
    const path = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (path) libraries.push(path);
    else if (line.includes('not found')) throw new OdyError(`ldd ${binary}: ${line.trim()}`, 'E_BUILD');
  }
  return libraries;
}

/**
 * Writes `dir/rootfs/` (copied to / by the Dockerfile) and `dir/storage/` (copied to /app/storage, owned by the
 * image's user: pid file and control socket live there). Each library is copied to the path the binary asks for.
 */
export function stageImage(binary: string, dir: string): void {
  if (existsSync(dir) && !existsSync(join(dir, MARKER))) throw new OdyError(`${dir} exists and was not made by ody build --image; move it away or pick another folder`, 'E_BUILD');
  rmSync(dir, { recursive: true, force: true });
  const rootfs = join(dir, 'rootfs');
  const put = (path: string, from: string, mode: number) => {
    const target = join(rootfs, path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(from), target); // the file itself, not a symlink into the build machine
    chmodSync(target, mode);
  };
  put('/app/ody', binary, 0o755);
  const libraries = linkedLibraries(binary);
  for (const library of libraries) put(library, library, 0o755);
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/passwd'), `root:x:0:0:root:/root:/sbin/nologin\nody:x:${IMAGE_UID}:${IMAGE_UID}:ody:/app:/sbin/nologin\n`);
  writeFileSync(join(rootfs, 'etc/group'), `root:x:0:\nody:x:${IMAGE_UID}:\n`);
  // Mount points the container runtime fills; the binary cannot start without /proc (Bun reads /proc/self/*).
  for (const mount of ['proc', 'dev', 'sys']) mkdirSync(join(rootfs, mount));
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'storage'));
  writeFileSync(join(dir, 'storage', '.keep'), '');
  writeFileSync(join(dir, MARKER), 'staged by ody build --image; safe to delete\n');
}
