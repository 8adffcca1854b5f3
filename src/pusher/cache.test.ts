// Rule: cache entries outlive an empty channel but not their TTL (the sweep drops them); a miss here takes the newest
// answer of the other nodes; an event delivered while asking wins over anything older.
import { expect, test } from 'bun:test';
import { CACHE_TTL_MS, CacheChannels } from './cache';

test('the sweep drops entries older than the TTL and keeps the rest', () => {
  const cache = new CacheChannels();
  const t0 = Date.now();
  cache.remember('a', 'A', t0 - CACHE_TTL_MS - 1);
  cache.remember('b', 'B', t0);
  cache.prune(t0);
  expect(cache.size).toBe(1);
  expect(cache.local('b', t0)?.payload).toBe('B');
  cache.stop();
});

test('a local miss takes the newest answer of the other nodes and keeps it', async () => {
  const cache = new CacheChannels();
  const now = Date.now();
  const answers = [{ payload: 'old', at: now - 2000 }, null, { payload: 'new', at: now - 1000 }];
  expect(await cache.last('k', async () => answers)).toEqual({ event: { payload: 'new', at: now - 1000 } });
  expect(await cache.last('k', async () => { throw new Error('not asked again'); })).toEqual({ event: { payload: 'new', at: now - 1000 } });
  expect(await cache.last('none', async () => [null])).toEqual({ event: undefined });
  cache.stop();
});

test('an event delivered while asking: nothing older is replayed', async () => {
  const cache = new CacheChannels();
  const result = await cache.last('k', async () => {
    cache.remember('k', 'live'); // published while the question was out
    return [{ payload: 'older', at: Date.now() - 1000 }];
  });
  expect(result).toEqual({ live: true });
  cache.stop();
});
