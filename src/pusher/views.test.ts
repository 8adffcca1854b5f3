// Rule: the clients of a presence channel on a node hear each member change once: a repeated event is not news, a
// fresh member list tells them what they missed, and a list asked for before an event reached them does not undo it.
import { expect, test } from 'bun:test';
import { frame } from './frames';
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

test("a new subscriber's list is the view as Pusher's presence data, each member's info as last authorized", () => {
  const views = new PresenceViews();
  views.reconcile(KEY, list(['alice', 'b"ob'], Date.now()));
  views.admit(KEY, 'carol', true, { name: 'carol', n: 1 });
  views.admit(KEY, 'alice', false, null); // departed: not listed
  views.refresh(KEY, 'carol', { name: 'Carol' });
  const data = (views: PresenceViews) => JSON.parse(JSON.parse(views.succeeded(KEY, 'presence-x')).data);
  expect(data(views)).toEqual({ presence: { ids: ['b"ob', 'carol'], hash: { 'b"ob': { name: 'b"ob' }, carol: { name: 'Carol' } }, count: 2 } });
  expect(data(new PresenceViews())).toEqual({ presence: { ids: [], hash: {}, count: 0 } });
});

test('the subscription frame is byte for byte what frame() makes of the list, whatever the ids and infos hold', () => {
  const members: [string, unknown][] = [
    ['plain', { name: 'Ann' }],
    ['q"uote\\back', 'line\nbreak\ttab\u0001ctl'],
    ['é😀', { s: '\u2028</script>', n: [1, 2.5, null, true] }],
    ['lone\ud800', undefined],
    ['42', 0],
  ];
  const views = new PresenceViews();
  views.reconcile(KEY, { members: new Map(members), complete: true, since: Date.now(), links: 1 });
  // The list as JSON, built the plain way, then escaped into the frame by JSON.stringify.
  const ids = members.map(([id]) => JSON.stringify(id)).join(',');
  const hash = members.map(([id, info]) => `${JSON.stringify(id)}:${JSON.stringify(info ?? null)}`).join(',');
  const plain = `{"presence":{"ids":[${ids}],"hash":{${hash}},"count":${members.length}}}`;
  for (const channel of ['presence-x', 'presence-"odd\\name']) {
    expect(views.succeeded(KEY, channel)).toBe(frame('pusher_internal:subscription_succeeded', plain, channel));
  }
  views.refresh(KEY, 'plain', { name: 'Bob' }); // a new authorization's info replaces the member's made parts
  expect(JSON.parse(JSON.parse(views.succeeded(KEY, 'presence-x')).data).presence.hash.plain).toEqual({ name: 'Bob' });
});

test('the list kept for new subscribers follows arrivals, departures, returns, new infos and fresh lists', () => {
  const views = new PresenceViews();
  views.watch(KEY);
  views.reconcile(KEY, list(['a', 'b'], Date.now()));
  // What a new subscriber must get: the members the view lists now, in its order, made the plain way.
  const expected = () => {
    const members = [...views.members(KEY)];
    const ids = members.map(([id]) => JSON.stringify(id)).join(',');
    const hash = members.map(([id, info]) => `${JSON.stringify(id)}:${JSON.stringify(info ?? null)}`).join(',');
    return frame('pusher_internal:subscription_succeeded', `{"presence":{"ids":[${ids}],"hash":{${hash}},"count":${members.length}}}`, 'presence-x');
  };
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let step = 0; step < 600; step++) {
    const user = `u${next(40)}`;
    const op = next(10);
    if (op < 6) views.admit(KEY, user, true, { n: next(3) });
    else if (op < 8) views.admit(KEY, user, false, null);
    else if (op < 9) views.refresh(KEY, user, { n: next(3), again: true });
    else views.reconcile(KEY, { members: new Map([...views.members(KEY)].filter(() => next(4) > 0)), complete: next(2) === 0, since: Date.now() - next(2), links: 1 });
    expect(views.succeeded(KEY, 'presence-x')).toBe(expected());
  }
});
