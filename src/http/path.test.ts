// Rule: pathOf agrees with new URL(url).pathname for the URLs a server receives.
import { expect, test } from 'bun:test';
import { pathOf } from './path';

test('pathOf matches URL.pathname', () => {
  for (const url of ['http://127.0.0.1:9502/app/key?protocol=7', 'http://h/', 'http://h', 'https://[::1]:443/apps/1/events?a=b#x', 'http://h/a/b/#frag', 'ws://h:1/x?y=/z']) {
    expect(pathOf(url)).toBe(new URL(url).pathname);
  }
});
