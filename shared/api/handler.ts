/**
 * Wraps a gateway route: a correlation id and a logger per request, the caller proven and
 * authorized before anything else, every failure answered in the error envelope, and one
 * completion log line with the status, the caller's ids and the duration.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { authorize, CallerRejected } from '../adapters/caller/authenticate';
import { ANONYMOUS, type Caller, type Permission } from '../adapters/caller/caller';
import { createLogger, type Logger } from '../logging';
import { getServices, type Services } from '../../functions/services';
import { correlationIdFrom } from './correlation';
import { asGatewayError, errorResponse } from './responses';

export interface RequestScope {
  correlationId: string;
  log: Logger;
  context: InvocationContext;
  /** The proven caller; `anonymous` on routes open to all (health). */
  caller: Caller;
}

export interface RouteAccess {
  /** What the caller must hold; routes without one are open to all (health only). */
  permission?: Permission;
  services?: () => Services;
  now?: () => number;
}

export type GatewayHandler = (
  request: HttpRequest,
  scope: RequestScope,
) => Promise<HttpResponseInit>;

export function httpHandler(
  operation: string,
  handler: GatewayHandler,
  access: RouteAccess = {},
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  const now = access.now ?? (() => Date.now());
  const services = access.services ?? getServices;
  return async (request, context) => {
    const started = now();
    const correlationId = correlationIdFrom(request.headers);
    let log = createLogger(context, { correlationId, operation });
    let response: HttpResponseInit;
    try {
      let caller = ANONYMOUS;
      if (access.permission) {
        caller = await services().callers.authenticate(request.headers.get('authorization'));
        log = createLogger(context, { correlationId, operation, ...callerFields(caller) });
        authorize(caller, access.permission);
      }
      response = await handler(request, { correlationId, log, context, caller });
    } catch (error) {
      const failure = asGatewayError(error, correlationId);
      const fields = { status: failure.status, code: failure.envelope.error.code };
      // Unexpected: the type and message help operators; request data never reaches here.
      if (failure !== error) log.error('request.crashed', { ...fields, reason: describe(error) });
      else if (failure.status >= 500) log.error('request.failed', fields);
      else if (failure instanceof CallerRejected) {
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

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return typeof error;
}
