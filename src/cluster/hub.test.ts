// Rule: the primary relays each message to the node it names, to every other node, or (publishes) only to the
// nodes that asked for the topic; a node that falls behind gets drops, not an unbounded queue.
import { expect, test } from 'bun:test';
import { captureLogs } from '../../test/helpers/server';
import { Hub, MAX_BACKLOG } from './hub';
import type { ToWorker } from './messages';

function peer(node: number) {
  const got: ToWorker[] = [];
  return { node, got, send: (m: ToWorker) => void got.push(m) };
}

test('directed messages go to their node only; fan-out to every other node; a newcomer is welcomed with the others', () => {
  const hub = new Hub();
  const [a, b, c] = [peer(1), peer(2), peer(3)];
  hub.route(a, { t: 'hb', from: 1, n: 5 });
  hub.route(b, { t: 'hb', from: 2, n: 7 });
  hub.route(c, { t: 'who', from: 3 });
  expect(c.got).toEqual([{ t: 'welcome', nodes: [[1, 5], [2, 7]] }]); // the counts from their last heartbeats
  hub.route(a, { t: 'push', from: 1, to: 3, fd: 3 + 2 ** 20, d: 'hi' });
  expect(b.got.filter((m) => m.t === 'push')).toEqual([]);
  expect(c.got.at(-1)).toEqual({ t: 'push', from: 1, to: 3, fd: 3 + 2 ** 20, d: 'hi' });
  hub.route(c, { t: 'bcast', from: 3, d: 'all', except: [] });
  expect([a.got.at(-1), b.got.at(-1)]).toEqual([{ t: 'bcast', from: 3, d: 'all', except: [] }, { t: 'bcast', from: 3, d: 'all', except: [] }]);
  expect(c.got.filter((m) => m.t === 'bcast')).toEqual([]);
});

test('publishes reach only the nodes interested in the topic, until they say they are not', () => {
  const hub = new Hub();
  const [a, b, c] = [peer(1), peer(2), peer(3)];
  for (const p of [a, b, c]) hub.route(p, { t: 'hb', from: p.node, n: 0 });
  hub.route(b, { t: 'interest', from: 2, topic: 'news' });
  hub.route(a, { t: 'pub', from: 1, topic: 'news', d: 'x' });
  expect([a, b, c].map((p) => p.got.filter((m) => m.t === 'pub').length)).toEqual([0, 1, 0]);
  hub.route(b, { t: 'uninterest', from: 2, topic: 'news' });
  hub.route(a, { t: 'pub', from: 1, topic: 'news', d: 'y' });
  expect(b.got.filter((m) => m.t === 'pub').length).toBe(1);
});

test('a node that leaves is announced to the others and gets nothing more', () => {
  const hub = new Hub();
  const [a, b] = [peer(1), peer(2)];
  hub.route(a, { t: 'hb', from: 1, n: 0 });
  hub.route(b, { t: 'interest', from: 2, topic: 't' });
  hub.leave(2);
  expect(a.got.at(-1)).toEqual({ t: 'bye', from: 2 });
  const before = b.got.length;
  hub.route(a, { t: 'pub', from: 1, topic: 't', d: 'x' });
  hub.route(a, { t: 'bcast', from: 1, d: 'x', except: [] });
  expect(b.got.length).toBe(before);
});

test('toward a node MAX_BACKLOG messages behind, messages are dropped and counted until it catches up', () => {
  using logs = captureLogs();
  const hub = new Hub();
  const [a, b] = [peer(1), peer(2)];
  hub.route(b, { t: 'hb', from: 2, n: 0 }); // b joins; it has taken in nothing yet
  for (let i = 0; i < MAX_BACKLOG + 10; i++) hub.route(a, { t: 'bcast', from: 1, d: 'x', except: [] });
  expect(b.got.length).toBe(MAX_BACKLOG);
  expect(hub.dropped).toBe(10);
  expect(logs.lines).toEqual([`warn node 2 is ${MAX_BACKLOG} messages behind; dropping messages to it until it catches up`]);
  hub.taken(2, MAX_BACKLOG); // it read everything
  hub.route(a, { t: 'bcast', from: 1, d: 'y', except: [] });
  expect(b.got.at(-1)).toEqual({ t: 'bcast', from: 1, d: 'y', except: [] });
});
