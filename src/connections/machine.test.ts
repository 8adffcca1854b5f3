// Rule: the machine's shared memory behaves as one table for every process that maps it — rows, counts and limits
// hold across processes and under concurrency, a full table or an oversized row is a clear error, and a process
// killed in the middle of a write (or holding connections) is reaped without leaving a ghost or a held lock.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TABLE } from '../config/schema';
import { FdsTable } from './fds-table';
import { Machine } from './machine';

const dir = mkdtempSync(join(tmpdir(), 'ody-machine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SMALL = { connections: 1024, rows: 16_384, rowBytes: 64 };

/** Runs `body` in another Bun process with `machine` (the parent's file) attached as worker `index`. */
function child(machine: Machine, index: number, body: string) {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `
import { Machine } from ${JSON.stringify(join(import.meta.dir, 'machine.ts'))};
import { FdsTable } from ${JSON.stringify(join(import.meta.dir, 'fds-table.ts'))};
const machine = Machine.attach(${JSON.stringify(machine.spec)}, ${index});
const table = new FdsTable(machine.rows);
const say = (x: unknown) => process.stdout.write(JSON.stringify(x) + '\\n');
${body}
`);
  return Bun.spawn([process.execPath, file], { stdout: 'pipe', stderr: 'pipe' });
}

async function output(proc: ReturnType<typeof child>): Promise<unknown[]> {
  const [text, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`child exited ${code}: ${err}`);
  return text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

test('rows set in one process are read, counted, iterated and deleted in another', async () => {
  using machine = disposable(Machine.create(SMALL, dir));
  const table = new FdsTable(machine.rows);
  table.set(1, { fd: 1, name: 'Client-000001' });
  const seen = await output(child(machine, 0, `
say([table.get(1, 'name'), table.count()]);
table.set('2', { fd: 2, name: 'Client-000002' });
table.del(1);
say([...table]);
`));
  expect(seen).toEqual([['Client-000001', 1], [['2', { fd: 2, name: 'Client-000002' }]]]);
  expect([table.exists(1), table.get(2), table.count()]).toEqual([false, { fd: 2, name: 'Client-000002' }, 1]);
});

test('two processes writing at once: no row lost or doubled, and a shared limit admits exactly its size', async () => {
  using machine = disposable(Machine.create(SMALL, dir));
  const work = (index: number) => child(machine, index, `
let admitted = 0;
for (let i = 0; i < 12000; i++) {
  table.set('shared-' + (i % 50), { by: ${index}, i });
  table.set('own-${index}-' + i, { i });
  if (i % 3) table.del('own-${index}-' + i);
  if (machine.counters.admit('10.0.0.1', 6000)) admitted++;
}
say(admitted);
`);
  const [a, b] = await Promise.all([output(work(0)), output(work(1))]);
  expect((a[0] as number) + (b[0] as number)).toBe(6000);
  const table = new FdsTable(machine.rows);
  expect(table.count()).toBe(50 + 2 * 4000);
  expect([...table.keys()].length).toBe(table.count());
  expect(machine.counters.held('10.0.0.1')).toBe(6000);
});

test('a full table and an oversized row are clear errors, never a silent drop', () => {
  const table = new FdsTable({ rows: 4, rowBytes: 32 });
  for (let fd = 1; fd <= 4; fd++) table.set(fd, { fd });
  expect(() => table.set(5, { fd: 5 })).toThrow('FdsTable.set("5"): shared table is full (4 rows, config additional.table.rows)');
  expect(() => table.set(1, { name: 'x'.repeat(40) })).toThrow('shared table row too large: key and value are 52 bytes, the limit is 32 (config additional.table.rowBytes)');
  expect(() => table.set(1, { n: 1n } as never)).toThrow('the row is not JSON-safe');
  expect([table.count(), table.get(1), table.exists(5)]).toEqual([4, { fd: 1 }, false]);
});

test('a worker killed with -9: its connections, their rows and per-IP counts leave; a lock it held and a row it was writing are undone', async () => {
  using machine = disposable(Machine.create(SMALL, dir));
  const slots = machine.connections!;
  const table = new FdsTable(machine.rows);
  const proc = child(machine, 1, `
machine.connections.setNode(1, 7);
const fds = [];
for (let i = 0; i < 3; i++) {
  const fd = machine.connections.claim((seq) => seq * 2 ** 20 + 7);
  machine.counters.admit('10.0.0.9', 10);
  machine.connections.countedUnder(fd, '10.0.0.9');
  machine.connections.open(fd, { remoteAddress: '10.0.0.9', protocol: '', url: 'ws://x/', connectTime: Date.now() });
  table.set(fd, { fd, name: 'n' + i });
  fds.push(fd);
}
table.set('kept', { by: 'user' });
say(fds);
machine.rows.update('stuck', 8, () => { say('inside'); for (;;) {} });
`);
  const reader = proc.stdout.getReader();
  let text = '';
  while (!text.includes('inside')) text += new TextDecoder().decode((await reader.read()).value);
  const fds = JSON.parse(text.split('\n')[0]!) as number[];
  expect([slots.count(), slots.ours(fds[0]!), slots.info(fds[0]!)?.worker, machine.counters.held('10.0.0.9'), table.count()]).toEqual([3, true, 1, 3, 4]);
  proc.kill(9);
  await proc.exited;
  expect(machine.reap(1)).toBe(3);
  expect([slots.count(), slots.ours(fds[0]!), slots.phase(fds[0]!), machine.counters.held('10.0.0.9')]).toEqual([0, false, 0, 0]);
  expect([...table].map(([key]) => key)).toEqual(['kept']);
  table.set('stuck', { ok: true }); // its bucket lock is free again
  expect(table.get('stuck')).toEqual({ ok: true });
});

test('a fresh start never trusts a stale file: a dead server\'s table is removed, the new one starts empty', () => {
  const first = Machine.create(SMALL, dir);
  new FdsTable(first.rows).set(1, { fd: 1 });
  const fake = first.region.path.replace(/ody-table-\d+-/, 'ody-table-999999999-');
  writeFileSync(fake, 'stale');
  const second = Machine.create(SMALL, dir);
  expect([Bun.file(fake).size, new FdsTable(second.rows).count()]).toEqual([0, 0]);
  first.remove();
  second.remove();
});

test('the default table holds the seed\'s row for 100k connections in at most 128 bytes of connection slot each', () => {
  expect(DEFAULT_TABLE.connections).toBeGreaterThanOrEqual(100_000);
  expect(DEFAULT_TABLE.rows).toBeGreaterThanOrEqual(100_000);
  const table = new FdsTable({ rows: 1024, rowBytes: DEFAULT_TABLE.rowBytes });
  table.set(137438953474, { fd: 137438953474, name: 'Client-137438953474' });
  expect(table.get('137438953474', 'name')).toBe('Client-137438953474');
});

function disposable(machine: Machine): Machine & Disposable {
  return Object.assign(machine, { [Symbol.dispose]: () => machine.remove() });
}
