// Rule: two joins racing for the last seat of a presence channel on two nodes never both get it, in either order
// of messages; a user already in the channel always fits.
import { expect, test } from 'bun:test';
import type { Member } from './registry';
import { LEASE_IDLE_MS, LEASE_MAX, leaseGrant, leaseSize, Seats } from './seats';

const here = (members: Member[]) => ({ members: () => members, count: () => members.length });

const KEY = 'app\u0000presence-x';

test('both asks answered while both seats are pending: exactly one fits', () => {
  const [a, b] = [new Seats(), new Seats()];
  const sa = a.reserve(KEY, 'alice', 1);
  const sb = b.reserve(KEY, 'bob', 2);
  const fromB = b.answer(a.query(sa), here([]));
  const fromA = a.answer(b.query(sb), here([]));
  expect([a.fits(sa, [], [fromB], 1), b.fits(sb, [], [fromA], 1)].filter(Boolean)).toHaveLength(1);
});

test('the first ask reaches the other node before its seat exists: the first fits, joins, and the second sees a member', () => {
  const [a, b] = [new Seats(), new Seats()];
  const sa = a.reserve(KEY, 'alice', 2);
  const fromB = b.answer(a.query(sa), here([]));
  const sb = b.reserve(KEY, 'bob', 1);
  expect(a.fits(sa, [], [fromB], 1)).toBe(true);
  a.release(sa); // joined: the registry holds alice now
  const fromA = a.answer(b.query(sb), here([{ id: 'alice', info: null }]));
  expect(b.fits(sb, [], [fromA], 1)).toBe(false);
});

test('a user already a member fits a full channel; a released seat no longer counts', () => {
  const seats = new Seats();
  const first = seats.reserve(KEY, 'carol', 1);
  const again = seats.reserve(KEY, 'alice', 1);
  expect(seats.fits(again, [{ id: 'alice', info: null }], [], 1)).toBe(true);
  expect(seats.fits(again, [], [], 1)).toBe(false); // carol's older seat takes the only place
  seats.release(first);
  expect(seats.fits(again, [], [], 1)).toBe(true);
});

test('by counts: members of every node and older seats bound the users; only a seat under the bound surely fits', () => {
  const [a, b] = [new Seats(), new Seats()];
  const older = b.reserve(KEY, 'bob', 1); // reserved first, and the lower node id breaks a tie of milliseconds
  const sa = a.reserve(KEY, 'alice', 2);
  const fromB = b.answer(a.query(sa, true), here([{ id: 'x', info: null }, { id: 'y', info: null }]));
  expect(fromB).toEqual({ n: 2, pending: [{ user: 'bob', order: older.order }] }); // no list crosses
  // 1 member here + 2 on b + bob's older seat = 4 users at most.
  expect(a.fitsByCount(sa, 1, [fromB], 5)).toBe(true);
  expect(a.fitsByCount(sa, 1, [fromB], 4)).toBe(false); // may not fit: the caller asks for the lists
  // Bob's node hears alice's ask (noted as concurrent) and asks in turn: her seat is younger than his, not counted.
  const fromA = a.answer(b.query(older, true), here([]));
  expect(b.fitsByCount(older, 2, [fromA], 3)).toBe(true);
});

// Leases (see seats.ts): a node's next joins take seats it asked for at once. A lease is counted by its seats left,
// never as one user; a question for one seat makes a node give its unused seats back first.
const lease = (seats: Seats, node: number, w: number) => seats.reserve(KEY, '', node, w);

test('leases are asked for only when the limit leaves room for several on every node', () => {
  expect(leaseSize(5, 2)).toBeLessThan(2); // a small limit: seat by seat, as before
  expect(leaseSize(100, 3)).toBe(4);
  expect(leaseSize(100_000, 3)).toBe(LEASE_MAX);
  expect(leaseGrant(64, 1000, 3)).toBe(64);
  expect(leaseGrant(64, 60, 3)).toBe(10); // half the room, shared by three nodes
  expect(leaseGrant(64, 5, 3)).toBe(0);
});

test('a granted lease is answered with its seats left, and each join taking one leaves one less', () => {
  const dropped: string[] = [];
  const [a, b] = [new Seats((key) => dropped.push(key)), new Seats()];
  const la = lease(a, 1, 10);
  const fromB = b.answer(a.query(la, true), here([{ id: 'x', info: null }, { id: 'y', info: null }]));
  expect(fromB).toEqual({ n: 2, pending: [] });
  expect(a.room(la, 0, [fromB], 100)).toBe(98);
  a.grant(la, 5, 7);
  const lb = lease(b, 2, 8);
  expect(a.answer(b.query(lb, true), here([]))).toEqual({ n: 0, pending: [{ user: '', order: la.order, w: 5 }] });
  expect(la.concurrent).toHaveLength(0); // a granted lease no longer takes note of askers
  expect(b.room(lb, 2, [a.answer(b.query(lb, true), here([]))], 100)).toBe(93);
  expect(a.take(KEY, 7)).toBe(true); // a join takes a seat: a member here now, one seat less in the lease
  expect(a.answer(b.query(lb, true), here([{ id: 'z', info: null }]))).toEqual({ n: 1, pending: [{ user: '', order: la.order, w: 4 }] });
  for (let i = 0; i < 4; i++) expect(a.take(KEY, 7)).toBe(true);
  expect(a.take(KEY, 7)).toBe(false); // used up: released
  expect(a.pending(KEY)).toBe(0);
  expect(dropped).toEqual([KEY]);
});

test('a lease granted before the link dropped is given up, not taken from', () => {
  const a = new Seats();
  const la = lease(a, 1, 4);
  a.grant(la, 4, 1);
  expect(a.take(KEY, 2)).toBe(false);
  expect(a.leased(KEY)).toBe(0);
  expect(a.pending(KEY)).toBe(0);
});

test('a question for one seat makes a node give its lease back before it answers', () => {
  const dropped: string[] = [];
  const [a, b] = [new Seats((key) => dropped.push(key)), new Seats()];
  const la = lease(a, 1, 10);
  a.grant(la, 10, 1);
  const sb = b.reserve(KEY, 'bob', 2);
  const fromA = a.answer(b.query(sb, true), here([]));
  expect(fromA.pending).toEqual([]);
  expect(a.leased(KEY)).toBe(0);
  expect(dropped).toEqual([KEY]);
  expect(b.fitsByCount(sb, 0, [fromA], 1)).toBe(true); // the last seat is not kept away by a lease nobody uses
});

test('on the lists, leases count by their seats: two of one seat each are two, not one user', () => {
  const [a, b, c] = [new Seats(), new Seats(), new Seats()];
  const la = lease(a, 1, 1);
  const lb = lease(b, 2, 1);
  const sc = c.reserve(KEY, 'carol', 3); // younger than both leases
  const answers = [a.answer(c.query(sc), here([])), b.answer(c.query(sc), here([]))];
  expect(answers.map((x) => x.pending)).toEqual([[{ user: '', order: la.order, w: 1 }], [{ user: '', order: lb.order, w: 1 }]]); // still asking: kept
  expect(c.fits(sc, [], answers, 3)).toBe(true);
  expect(c.fits(sc, [], answers, 2)).toBe(false);
});

test('two leases racing for the last places: together they never grant more than the room', () => {
  const [a, b] = [new Seats(), new Seats()];
  const la = lease(a, 1, 8);
  const lb = lease(b, 2, 8);
  const fromB = b.answer(a.query(la, true), here([]));
  const fromA = a.answer(b.query(lb, true), here([]));
  const limit = 12;
  expect(a.room(la, 0, [fromB], limit)).toBe(12); // the older lease does not count the younger
  expect(b.room(lb, 0, [fromA], limit)).toBe(4); // the younger counts all 8 the older asked for
  expect(leaseGrant(8, 12, 2) + leaseGrant(8, 4, 2)).toBeLessThanOrEqual(limit);
});

test('a lease no join takes from is given back after LEASE_IDLE_MS', async () => {
  const dropped: string[] = [];
  const a = new Seats((key) => dropped.push(key));
  a.grant(lease(a, 1, 4), 4, 1);
  await Bun.sleep(LEASE_IDLE_MS + 50);
  expect(a.leased(KEY)).toBe(0);
  expect(a.pending(KEY)).toBe(0);
  expect(dropped).toEqual([KEY]);
});

test('a join taking a leased seat keeps the lease for LEASE_IDLE_MS more', async () => {
  const a = new Seats();
  const granted = Date.now();
  a.grant(lease(a, 1, 4), 4, 1);
  await Bun.sleep(LEASE_IDLE_MS / 2);
  if (Date.now() - granted > LEASE_IDLE_MS - 20) return; // this machine slept far longer than asked: nothing to see
  expect(a.take(KEY, 1)).toBe(true);
  const taken = Date.now();
  await Bun.sleep(LEASE_IDLE_MS / 2 + 20); // past the grant's idle time, not the take's
  if (Date.now() - taken < LEASE_IDLE_MS - 5) expect(a.leased(KEY)).toBe(3);
  await Bun.sleep(LEASE_IDLE_MS + 50);
  expect(a.leased(KEY)).toBe(0);
});
