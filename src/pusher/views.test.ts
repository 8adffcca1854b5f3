// Rule: the clients of a presence channel on a node hear each member change once: a repeated event is not news, a
// fresh member list tells them what they missed, and a list asked for before an event reached them does not undo it.
import { expect, test } from 'bun:test';
import { PresenceViews } from './views';

const KEY = 'app\u0000presence-x';
const list = (ids: string[], since: number, complete = true, links = 1) => ({ members: new Map(ids.map((id) => [id, { name: id }])), complete, since, links });

test('an arrival or departure the clients already know is not news', () => {
  const views = new PresenceViews();
  views.reconcile(KEY, list(['alice'], Date.now()));
  expect(views.admit(KEY, 'alice', true, null)).toBe(false);
  expect(views.admit(KEY, 'bob', false, null)).toBe(false);
  expect(views.admit(KEY, 'bob', true, null)).toBe(true);
  expect(views.admit(KEY, 'bob', true, null)).toBe(false);
  expect(views.admit(KEY, 'bob', false, null)).toBe(true);
  expect([...views.members(KEY).keys()]).toEqual(['alice']);
});

test('a fresh complete list adds and removes what the clients missed; a partial one only adds', () => {
  const views = new PresenceViews();
  views.reconcile(KEY, list(['alice', 'bob'], Date.now() - 10));
  expect(views.reconcile(KEY, list(['alice', 'carol'], Date.now(), false))).toEqual({ added: [['carol', { name: 'carol' }]], removed: [] });
  expect(views.reconcile(KEY, list(['alice', 'carol'], Date.now()))).toEqual({ added: [], removed: ['bob'] });
});

test('events that reached the clients after the list was asked for stand', () => {
  const views = new PresenceViews();
  views.reconcile(KEY, list(['alice'], Date.now() - 10));
  const asked = Date.now() - 5; // the list below was asked for, then these events arrived
  views.admit(KEY, 'dave', true, null);
  views.admit(KEY, 'alice', false, null);
  expect(views.reconcile(KEY, list(['alice'], asked))).toEqual({ added: [], removed: [] });
  expect([...views.members(KEY).keys()]).toEqual(['dave']);
});

test('an event that overtakes the first list (recorded since watch) is kept, and nobody is told twice', () => {
  const views = new PresenceViews();
  const asked = Date.now() - 5;
  views.watch(KEY); // a join starts reading the list
  expect(views.admit(KEY, 'erin', true, { name: 'erin' })).toBe(true); // announced while the list was on its way
  expect(views.admit(KEY, 'alice', false, null)).toBe(false); // nobody here listed alice yet
  expect(views.reconcile(KEY, list(['alice', 'bob'], asked))).toEqual({ added: [], removed: [] });
  expect([...views.members(KEY).keys()].sort()).toEqual(['alice', 'bob', 'erin']);
});

test('a view is the member list only once synced by a complete list, under the same link count', () => {
  const views = new PresenceViews();
  views.watch(KEY);
  expect(views.synced(KEY, 1)).toBe(false); // still reading its first list
  views.reconcile(KEY, list(['alice'], Date.now(), false));
  expect(views.synced(KEY, 1)).toBe(false); // a partial list may lack members of a node that did not answer
  views.reconcile(KEY, list(['alice', 'bob'], Date.now()));
  expect(views.synced(KEY, 1)).toBe(true);
  views.admit(KEY, 'carol', true, null); // events keep it current
  expect([...views.members(KEY).keys()]).toEqual(['alice', 'bob', 'carol']);
  expect(views.synced(KEY, 1)).toBe(true);
  expect(views.synced(KEY, 2)).toBe(false); // the link went down since: events may have been lost
  views.unsync(); // another node's link did
  expect(views.synced(KEY, 1)).toBe(false);
  views.reconcile(KEY, list(['alice', 'bob', 'carol'], Date.now(), true, 2));
  expect(views.synced(KEY, 2)).toBe(true);
});
