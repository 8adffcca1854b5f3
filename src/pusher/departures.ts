// A node that dies without a word (kill -9, a machine gone silent) cannot announce its own departures: the survivors
// announce them for it, once for the whole cluster — member_removed to the channel, and the member_removed and
// channel_vacated webhooks (held back and re-checked like any departure, webhooks.ts).
//
// Each survivor that knew the dead node held a key (holders.ts) asks the others, in one question per death, which of
// those keys they hold now and which they knew the dead node held. A key nobody holds is announced by the highest
// node id among those who knew. Survivors notice a death at different moments (heartbeats are per node); a tombstone
// (holders.ts) keeps "I knew" answerable after the fact, so the first to notice defers to a higher knower that
// notices later, and a later one defers to a higher one that already announced.
import type { Transitions } from './transitions';

export interface GoneQuery {
  p: 'gone';
  dead: number;
  keys: string[];
}
export interface GoneAnswer {
  /** Keys this node holds now: not gone. */
  holds: string[];
  /** Keys this node knew the dead node held: it runs (or ran) the same decision. */
  knew: string[];
}

export interface DepartureHooks {
  transitions: Transitions;
  /** Asks every other live node; `each` sees answers as they come. */
  ask(query: GoneQuery, each: (answer: unknown, node: number) => void): Promise<unknown>;
  self(): number;
  /** Announces the cluster-wide departure of `key` (as a transitions round would). */
  departed(key: string): void;
}

/** Node `dead` left: announce the departures of the keys it alone held, unless a higher-id survivor does. */
export async function nodeGone(dead: number, hooks: DepartureHooks): Promise<void> {
  const { transitions } = hooks;
  const keys = transitions.holders.drop(dead).filter((key) => transitions.count(key) === 0);
  if (keys.length === 0) return;
  const self = hooks.self();
  const kept = new Set<string>();
  await hooks.ask({ p: 'gone', dead, keys }, (raw, node) => {
    const answer = raw as GoneAnswer | null;
    if (!answer) return;
    for (const key of answer.holds) kept.add(key);
    if (node > self) for (const key of answer.knew) kept.add(key); // theirs to announce
  });
  // Held here again meanwhile (a member reconnected to this node): its own round told the cluster.
  for (const key of keys) if (!kept.has(key) && transitions.count(key) === 0) hooks.departed(key);
}

export function answerGone(query: GoneQuery, transitions: Transitions): GoneAnswer {
  return {
    holds: query.keys.filter((key) => transitions.count(key) > 0),
    knew: query.keys.filter((key) => transitions.holders.knew(query.dead, key)),
  };
}
