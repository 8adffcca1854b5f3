// Rule: when a node dies holding a key alone, the survivors announce its departure exactly once, whichever of them
// notices first and however their questions interleave; nobody announces a key a survivor still holds.
import { expect, test } from 'bun:test';
import { answerGone, nodeGone } from './departures';
import { Transitions } from './transitions';

const DEAD = 9;
const KEY = 'm\u0000app\u0000presence-room\u0000alice';

/** Survivors 1..n that all saw node DEAD hold KEY; `noticed(id)` runs that survivor's reaction to the death. */
function survivors(n: number, holding: number[] = []) {
  const announced: number[] = [];
  const nodes = new Map<number, Transitions>();
  for (let id = 1; id <= n; id++) {
    const t = new Transitions({ self: () => id, held: () => false, blind: () => false, unsettled: () => {}, changed: () => {}, ask: async () => true });
    t.holders.saw(KEY, DEAD, true);
    if (holding.includes(id)) t.add(KEY);
    nodes.set(id, t);
  }
  const noticed = (id: number) =>
    nodeGone(DEAD, {
      transitions: nodes.get(id)!,
      self: () => id,
      departed: () => announced.push(id),
      // Each answer is computed when asked, as a live node would; the asker sees them in node order.
      ask: async (query, each) => {
        const answers = [...nodes].filter(([other]) => other !== id).map(([other, t]) => [other, answerGone(query, t)] as const);
        await Promise.resolve();
        for (const [other, answer] of answers) each(answer, other);
      },
    });
  return { announced, noticed };
}

test('one announcement when the survivors notice one after the other, in either order', async () => {
  for (const order of [[1, 2, 3], [3, 2, 1], [2, 3, 1]]) {
    const s = survivors(3);
    for (const id of order) await s.noticed(id);
    expect(s.announced).toEqual([3]);
  }
});

test('one announcement when the survivors notice at the same time', async () => {
  const s = survivors(3);
  await Promise.all([s.noticed(1), s.noticed(2), s.noticed(3)]);
  expect(s.announced).toEqual([3]);
});

test('no announcement while a survivor holds the key (the member reconnected there)', async () => {
  const s = survivors(3, [1]);
  await Promise.all([s.noticed(2), s.noticed(3)]);
  await s.noticed(1);
  expect(s.announced).toEqual([]);
});
