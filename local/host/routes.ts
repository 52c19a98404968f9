/**
 * HTTP trigger routes as the Functions host matches them: `{name}` takes one segment, `{name?}`
 * may be left out at the end, `{*name}` (last only) takes the rest of the path, even nothing;
 * literal segments match case-insensitively and win over parameters, and catch-alls come last.
 */
import { NotSupportedByLocalHost } from './core-api';

type Segment = { literal: string } | { param: string; optional: boolean } | { rest: string };

export interface Route {
  template: string;
  segments: Segment[];
  methods: string[];
  functionName: string;
}

export function parseRoute(template: string, methods: string[], functionName: string): Route {
  const parts = template.split('/').filter((s) => s !== '');
  const segments = parts.map((part, index): Segment => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/.exec(part);
    if (param) return { param: param[1] as string, optional: param[2] === '?' };
    const rest = /^\{\*([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    if (rest && index === parts.length - 1) return { rest: rest[1] as string };
    if (/[{}*:]/.test(part)) {
      throw new NotSupportedByLocalHost(
        `Function "${functionName}": the route segment "${part}" (constraints, catch-alls not at the end)`,
      );
    }
    return { literal: part.toLowerCase() };
  });
  return { template, segments, methods: methods.map((m) => m.toUpperCase()), functionName };
}

/** Route parameters if the path (without the route prefix) matches, else undefined. */
export function matchRoute(
  route: Route,
  pathSegments: string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i] as Segment;
    if ('rest' in segment) {
      params[segment.rest] = pathSegments.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const value = pathSegments[i];
    if (value === undefined) {
      if ('param' in segment && segment.optional) continue;
      return undefined;
    }
    if ('literal' in segment) {
      if (value.toLowerCase() !== segment.literal) return undefined;
    } else {
      params[segment.param] = decodeURIComponent(value);
    }
  }
  return pathSegments.length <= route.segments.length ? params : undefined;
}

/**
 * Catch-alls last; then more literal segments first, so `referrals/operations/{id}` wins over
 * `referrals/{id}/...`.
 */
export function byPrecedence(a: Route, b: Route): number {
  const catchAll = (r: Route) => (r.segments.some((s) => 'rest' in s) ? 1 : 0);
  const literals = (r: Route) => r.segments.filter((s) => 'literal' in s).length;
  return (
    catchAll(a) - catchAll(b) || literals(b) - literals(a) || b.segments.length - a.segments.length
  );
}
