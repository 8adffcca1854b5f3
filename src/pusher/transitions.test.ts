// Rule: with two nodes racing in any message order (per-sender order kept, as every adapter keeps it), arrivals and
// departures are announced exactly once each, alternating, and the last announcement matches who holds the key.
import { expect, test } from 'bun:test';
import { type TransitionQuery, Transitions } from './transitions';

interface Wire {
  from: number;
  to: number;
  run: () => void;
}

/**
 * N nodes joined by FIFO links; a seeded random scheduler picks which link delivers next. `batch`: a link sometimes
 * delivers everything queued on it in one go, with no turn in between, as a process does with one read of its pipe.
 */
function cluster(n: number, seed: number, batch = false) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const links = new Map<string, Wire[]>();
  const announced: string[] = [];
  const nodes: Transitions[] = [];
  const send = (wire: Wire) => {
    const id = `${wire.from}>${wire.to}`;
    (links.get(id) ?? links.set(id, []).get(id)!).push(wire);
  };
  for (let id = 1; id <= n; id++) {
    nodes.push(
      new Transitions({
        self: () => id,
        held: () => false,
        blind: () => false,
        unsettled: () => {},
        changed: (_key, up) => announced.push(up ? 'up' : 'down'),
        ask(query: TransitionQuery, each) {
          const { promise, resolve } = Promise.withResolvers<boolean>();
          let waiting = n - 1;
          for (let to = 1; to <= n; to++) {
            if (to === id) continue;
            send({ from: id, to, run: () => {
              const answer = nodes[to - 1]!.answer(query);
              send({ from: to, to: id, run: () => {
                each(answer, to);
                if (--waiting === 0) resolve(true);
              } });
            } });
          }
          if (waiting === 0) resolve(true);
          return promise;
        },
      }),
    );
  }
  const settle = async () => {
    for (let steps = 0; steps < 10_000; steps++) {
      for (let i = 0; i < 5; i++) await Promise.resolve(); // let rounds continue between deliveries
      const busy = [...links.values()].filter((q) => q.length > 0);
      if (busy.length === 0) return;
      const link = busy[Math.floor(random() * busy.length)]!;
      if (batch && random() < 0.5) for (const wire of link.splice(0)) wire.run();
      else link.shift()!.run();
    }
    throw new Error('never settled');
  };
  /** Runs `fn` at a random point among the deliveries still to come (on its own link). */
  const later = (node: number, fn: () => void) => send({ from: node, to: node, run: fn });
  return { nodes, announced, settle, later };
}

const consistent = (announced: string[], held: boolean) => {
  announced.forEach((a, i) => expect(a).toBe(i % 2 === 0 ? 'up' : 'down'));
  expect(announced.length % 2 === 1).toBe(held);
};

test('two nodes joining and leaving at once, in 600 message orders (300 delivered one at a time, 300 in batches): one arrival, one departure', async () => {
  for (let seed = 1; seed <= 600; seed++) {
    const { nodes, announced, settle, later } = cluster(2, seed, seed > 300);
    nodes[0]!.add('k');
    later(2, () => nodes[1]!.add('k'));
    await settle();
    expect(announced).toEqual(['up']);
    nodes[0]!.remove('k');
    later(2, () => nodes[1]!.remove('k'));
    await settle();
    expect(announced).toEqual(['up', 'down']);
  }
});

test('two nodes leaving at once when messages arrive in batches (a worker reads several from one pipe read), in 300 orders: one departure', async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const { nodes, announced, settle, later } = cluster(2, seed, true);
    nodes[0]!.add('k');
    nodes[1]!.add('k');
    await settle();
    expect(announced).toEqual(['up']);
    const [first, second] = seed % 2 ? [0, 1] : [1, 0]; // the lower and the higher id leaving first
    nodes[first]!.remove('k');
    later(second + 1, () => nodes[second]!.remove('k'));
    await settle();
    expect(announced).toEqual(['up', 'down']);
  }
});

test('a holder leaving while another node joins (a third node idle), in 300 orders: announcements alternate and end right', async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const { nodes, announced, settle, later } = cluster(3, seed);
    nodes[0]!.add('k');
    await settle();
    nodes[0]!.remove('k');
    later(2, () => nodes[1]!.add('k'));
    await settle();
    consistent(announced, true);
    nodes[1]!.remove('k');
    later(1, () => nodes[0]!.add('k'));
    later(1, () => nodes[0]!.remove('k'));
    await settle();
    consistent(announced, false);
  }
});

test('three nodes racing never announce twice in a row', async () => {
  for (let seed = 1; seed <= 300; seed++) {
    const { nodes, announced, settle, later } = cluster(3, seed);
    for (const [i, node] of nodes.entries()) later(i + 1, () => node.add('k'));
    await settle();
    expect(announced.length).toBeLessThanOrEqual(1);
  }
});
