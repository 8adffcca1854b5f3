// Rule: two joins racing for the last seat of a presence channel on two nodes never both get it, in either order
// of messages; a user already in the channel always fits.
import { expect, test } from 'bun:test';
import { Seats } from './seats';

const KEY = 'app\u0000presence-x';

test('both asks answered while both seats are pending: exactly one fits', () => {
  const [a, b] = [new Seats(), new Seats()];
  const sa = a.reserve(KEY, 'alice', 1);
  const sb = b.reserve(KEY, 'bob', 2);
  const fromB = b.answer(a.query(sa), []);
  const fromA = a.answer(b.query(sb), []);
  expect([a.fits(sa, [], [fromB], 1), b.fits(sb, [], [fromA], 1)].filter(Boolean)).toHaveLength(1);
});

test('the first ask reaches the other node before its seat exists: the first fits, joins, and the second sees a member', () => {
  const [a, b] = [new Seats(), new Seats()];
  const sa = a.reserve(KEY, 'alice', 2);
  const fromB = b.answer(a.query(sa), []);
  const sb = b.reserve(KEY, 'bob', 1);
  expect(a.fits(sa, [], [fromB], 1)).toBe(true);
  a.release(sa); // joined: the registry holds alice now
  const fromA = a.answer(b.query(sb), [{ id: 'alice', info: null }]);
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
