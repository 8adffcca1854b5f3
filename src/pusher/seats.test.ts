// Rule: two joins racing for the last seat of a presence channel on two nodes never both get it, in either order
// of messages; a user already in the channel always fits.
import { expect, test } from 'bun:test';
import type { Member } from './registry';
import { Seats } from './seats';

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
