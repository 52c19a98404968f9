/**
 * What answers a path or method no route takes, in the envelope with a correlation id, as every
 * answer: 405 with `Allow` for a known path with another method, else 404. Registered as the
 * lowest-precedence catch-all route, as the Functions host ranks `{*path}` after every other.
 */
import { errorBody, Failure } from '../contract/errors';
import type { GatewayHandler } from './handler';
import { HttpFailure } from './responses';
import { ROUTES, type RouteSpec } from './route-table';

export const UNKNOWN_ROUTE = { name: 'unknownRoute', route: '{*path}' } as const;
export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** Whether a route template (`referrals/{id}`) takes this path (segments under the prefix). */
function takes(template: string, segments: string[]): boolean {
  const parts = template.split('/').filter(Boolean);
  return (
    parts.length === segments.length &&
    parts.every(
      (part, i) => part.startsWith('{') || part.toLowerCase() === segments[i]?.toLowerCase(),
    )
  );
}

export function unknownRoute(routes: readonly RouteSpec[] = Object.values(ROUTES)): GatewayHandler {
  return async (request) => {
    const segments = (request.params.path ?? '').split('/').filter(Boolean);
    const allowed = [
      ...new Set(routes.filter((r) => takes(r.route, segments)).map((r) => r.method)),
    ];
    if (allowed.length > 0) {
      throw new HttpFailure(
        405,
        errorBody(
          'methodNotAllowed',
          `This path does not take ${request.method}; it takes ${allowed.join(', ')}.`,
          'method',
        ),
        { allow: allowed.join(', ') },
      );
    }
    throw new Failure(
      'notFound',
      errorBody(
        'routeNotFound',
        `There is no such route. The routes are ${routes.map((r) => `${r.method} /api/${r.route}`).join(', ')}.`,
        'path',
      ),
    );
  };
}
