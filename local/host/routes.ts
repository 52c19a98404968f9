/**
 * HTTP trigger routes as the Functions host matches them: `{name}` takes one segment, `{name?}`
 * may be left out at the end, literal segments match case-insensitively and win over parameters.
 */
import { NotSupportedByLocalHost } from './core-api';

type Segment = { literal: string } | { param: string; optional: boolean };

export interface Route {
  template: string;
  segments: Segment[];
  methods: string[];
  functionName: string;
}

export function parseRoute(template: string, methods: string[], functionName: string): Route {
  const segments = template
    .split('/')
    .filter((s) => s !== '')
    .map((part): Segment => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/.exec(part);
      if (param) return { param: param[1] as string, optional: param[2] === '?' };
      if (/[{}*:]/.test(part)) {
        throw new NotSupportedByLocalHost(
          `Function "${functionName}": the route segment "${part}" (constraints and catch-alls)`,
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

/** More literal segments first, so `referrals/operations/{id}` wins over `referrals/{id}/...`. */
export function byPrecedence(a: Route, b: Route): number {
  const literals = (r: Route) => r.segments.filter((s) => 'literal' in s).length;
  return literals(b) - literals(a) || b.segments.length - a.segments.length;
}
