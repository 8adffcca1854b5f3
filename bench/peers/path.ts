// The path of a request URL by string scan, as a careful plain server takes it: no URL object per handshake.

/** 'http://127.0.0.1:9502/sub?x' -> '/sub': from the third '/' up to '?'. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const q = url.indexOf('?', start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}
