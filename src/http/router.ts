// Routes for plain HTTP: 'METHOD /path/:param' patterns matched segment by segment, first declared wins.
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

type Segment = { literal: string } | { param: string };

export interface Route<T> {
  /** The pattern as written, e.g. 'GET /users/:id'. */
  pattern: string;
  method: string;
  segments: Segment[];
  /** What the route leads to (the pipeline stores the composed middleware + handler). */
  target: T;
}

/** Parses 'METHOD /a/:b'; returns what is wrong as a string ("expected ...") when it does not parse. */
export function parsePattern(pattern: string): { method: string; segments: Segment[] } | string {
  const match = /^([A-Z]+) (\/\S*)$/.exec(pattern);
  if (!match || !(METHODS as readonly string[]).includes(match[1]!)) return `expected 'METHOD /path' with METHOD one of ${METHODS.join(', ')}, e.g. 'GET /users/:id'`;
  const segments: Segment[] = [];
  for (const part of split(match[2]!)) {
    if (!part.startsWith(':')) segments.push({ literal: part });
    else if (/^:[A-Za-z_][A-Za-z0-9_]*$/.test(part)) segments.push({ param: part.slice(1) });
    else return `expected a parameter name after ':' (letters, digits, _), got '${part}'`;
  }
  return { method: match[1]!, segments };
}

/** Path segments; a trailing slash is ignored so '/users/1/' matches '/users/:id'. */
function split(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export class Router<T> {
  readonly #routes: Route<T>[] = [];

  add(pattern: string, target: T): void {
    const parsed = parsePattern(pattern);
    if (typeof parsed === 'string') throw new TypeError(`route '${pattern}': ${parsed}`);
    this.#routes.push({ pattern, ...parsed, target });
  }

  /** The first route whose method and every segment match, with its decoded parameters. */
  match(method: string, pathname: string): { route: Route<T>; params: Record<string, string> } | null {
    const parts = split(pathname);
    for (const route of this.#routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((segment, i) => {
        if ('literal' in segment) return segment.literal === parts[i];
        if (parts[i] === '') return false;
        params[segment.param] = decode(parts[i]!);
        return true;
      });
      if (ok) return { route, params };
    }
    return null;
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // malformed %-escapes stay as sent rather than failing the request
  }
}
