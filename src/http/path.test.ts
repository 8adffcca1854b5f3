// Rule: pathOf agrees with new URL(url).pathname for the URLs a server receives.
import { expect, test } from 'bun:test';
import { keySegment, pathOf, queryParam } from './path';

test('pathOf matches URL.pathname', () => {
  for (const url of ['http://127.0.0.1:9502/app/key?protocol=7', 'http://h/', 'http://h', 'https://[::1]:443/apps/1/events?a=b#x', 'http://h/a/b/#frag', 'ws://h:1/x?y=/z']) {
    expect(pathOf(url)).toBe(new URL(url).pathname);
  }
});

test('queryParam matches URLSearchParams.get', () => {
  for (const url of ['http://h/app/k?protocol=7&client=js', 'http://h/app/k?client=js&protocol=6', 'http://h/app/k', 'http://h/a?protocol', 'http://h/a?p%72otocol=a%20b+c#protocol=9', 'http://h/a?x=1#?protocol=2', 'http://h/a?', 'http://h/a?&&protocol=&protocol=5', 'http://h/a?protocolx=1&protoco=2&protocol=3&', 'http://h/a?pro+tocol=1&protocol+=2', 'http://h/a?x=%41&proto%63ol=8', 'http://h/a?protocol=7=8']) {
    expect(queryParam(url, 'protocol')).toBe(new URL(url).searchParams.get('protocol'));
  }
});

test('keySegment takes /app/{key} and /app/{key}/ only', () => {
  const ours = /^\/app\/[^/]+\/?$/; // the rule, as a pattern
  for (const path of ['/app/key', '/app/key/', '/app/', '/app//', '/app/k/x', '/app/k//', '/apps/1', '/app', '/x/app/k', '/app/a%2Fb', '/app/k?x']) {
    const key = keySegment(path);
    expect(key !== null).toBe(ours.test(path));
    if (key !== null) expect(key).toBe(path.split('/')[2]!);
  }
});
