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

/**
 * The key segment of a Pusher socket path, '/app/{key}' (one trailing '/' allowed), still percent-encoded; null for
 * any other path. A string scan: it runs on every upgrade request.
 */
export function keySegment(path: string): string | null {
  if (!path.startsWith('/app/')) return null;
  const end = path.length - (path.endsWith('/') ? 1 : 0);
  const key = path.slice(5, end);
  return key.length > 0 && !key.includes('/') ? key : null;
}

/** The first value of query parameter `name` ('…?protocol=7&x' -> '7'), decoded; null when absent. */
export function queryParam(url: string, name: string): string | null {
  const q = url.indexOf('?');
  if (q < 0) return null;
  const hash = url.indexOf('#', q);
  const end = hash < 0 ? url.length : hash;
  // Pair by pair, by index: no array of pairs, and a key is sliced only when its length could match.
  for (let start = q + 1; start <= end; ) {
    let stop = url.indexOf('&', start);
    if (stop < 0 || stop > end) stop = end;
    let eq = url.indexOf('=', start);
    if (eq < 0 || eq > stop) eq = stop;
    const raw = eq - start;
    if (raw === name.length || (raw > name.length && url.includes('%', start))) {
      if (decode(url.slice(start, eq)) === name) return eq === stop ? '' : decode(url.slice(eq + 1, stop));
    }
    start = stop + 1;
  }
  return null;
}

function decode(part: string): string {
  if (!part.includes('%') && !part.includes('+')) return part; // the common case, once per parameter per handshake
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** A path segment percent-decoded, or undefined when its escapes are malformed (a 400/404, never an exception). */
export function decodeSegment(part: string): string | undefined {
  if (!part.includes('%')) return part;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
