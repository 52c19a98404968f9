/**
 * Wraps a gateway route: a correlation id and a logger per request, the caller proven and
 * authorized before anything else, every failure answered in the error envelope (through the one
 * mapper in responses.ts), and one completion log line with the status, the caller's ids and the
 * duration.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize } from '../adapters/caller/authenticate';
import type { Services } from '../application/services';
import { ANONYMOUS, type Caller } from '../contract/caller';
import { createLogger, type Logger } from '../logging';
import { correlationIdFrom } from './correlation';
import { linkerFor, type Linker } from './links';
import { answerFor, errorResponse } from './responses';
import type { RouteSpec } from './route-table';

export interface RequestScope {
  correlationId: string;
  log: Logger;
  context: InvocationContext;
  /** The proven caller; `anonymous` on routes open to all (health). */
  caller: Caller;
  /** The app's collaborators; a route open to all resolves them itself (health reports them). */
  services: () => Services;
  /** Absolute URLs for the gateway's own paths (Location headers, links). */
  link: Linker;
}

export type GatewayHandler = (
  request: HttpRequest,
  scope: RequestScope,
) => Promise<HttpResponseInit>;

export function httpHandler(
  route: Pick<RouteSpec, 'permission'> & { name: string },
  services: () => Services,
  handler: GatewayHandler,
  now: () => number = () => Date.now(),
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const started = now();
    const correlationId = correlationIdFrom(request.headers);
    const operation = route.name;
    let log = createLogger(context, { correlationId, operation });
    let response: HttpResponseInit;
    try {
      let caller = ANONYMOUS;
      if (route.permission) {
        caller = await services().callers.authenticate(request.headers.get('authorization'));
        log = createLogger(context, { correlationId, operation, ...callerFields(caller) });
        authorize(caller, route.permission);
      }
      // Resolved when used: health must answer even when the settings cannot be read.
      const link: Linker = (path) =>
        linkerFor(request.url, services().settings.PUBLIC_BASE_URL)(path);
      response = await handler(request, { correlationId, log, context, caller, services, link });
    } catch (error) {
      const failure = answerFor(error, correlationId);
      const fields = { status: failure.status, code: failure.body.code };
      // Unexpected: the type and message help operators; request data never reaches here.
      if (failure.log === 'crashed')
        log.error('request.crashed', { ...fields, reason: failure.reason });
      else if (failure.log === 'failed') log.error('request.failed', fields);
      else if (failure.log === 'unauthenticated') {
        log.warn('request.unauthenticated', { ...fields, reason: failure.reason });
      } else log.warn('request.rejected', fields);
      response = errorResponse(failure, correlationId);
    }
    log.info('request.completed', { status: response.status ?? 200, durationMs: now() - started });
    return response;
  };
}

/** The caller's ids for the logs: object id and client app id, never a name. */
function callerFields(caller: Caller) {
  return { callerId: caller.objectId, ...(caller.appId ? { callerAppId: caller.appId } : {}) };
}
