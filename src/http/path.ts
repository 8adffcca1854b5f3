// The path of a request URL by string scan: no URL object where only the path is needed.

/** 'http://127.0.0.1:9502/app/key?x=1' -> '/app/key': from the third '/' up to '?' or '#'. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  let end = url.indexOf('?', start);
  const hash = url.indexOf('#', start);
  if (hash >= 0 && (end < 0 || hash < end)) end = hash;
  return end < 0 ? url.slice(start) : url.slice(start, end);
}
