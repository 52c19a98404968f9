/**
 * Wraps a gateway route: a correlation id and a logger per request, every failure answered in
 * the error envelope, and one completion log line with the status and duration.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { createLogger, type Logger } from '../logging';
import { correlationIdFrom } from './correlation';
import { asGatewayError, errorResponse } from './responses';

export interface RequestScope {
  correlationId: string;
  log: Logger;
  context: InvocationContext;
}

export type GatewayHandler = (
  request: HttpRequest,
  scope: RequestScope,
) => Promise<HttpResponseInit>;

export function httpHandler(
  operation: string,
  handler: GatewayHandler,
  now: () => number = () => Date.now(),
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const started = now();
    const correlationId = correlationIdFrom(request.headers);
    const log = createLogger(context, { correlationId, operation });
    let response: HttpResponseInit;
    try {
      response = await handler(request, { correlationId, log, context });
    } catch (error) {
      const failure = asGatewayError(error, correlationId);
      const fields = { status: failure.status, code: failure.envelope.error.code };
      // Unexpected: the type and message help operators; request data never reaches here.
      if (failure !== error) log.error('request.crashed', { ...fields, reason: describe(error) });
      else if (failure.status >= 500) log.error('request.failed', fields);
      else log.warn('request.rejected', fields);
      response = errorResponse(failure, correlationId);
    }
    log.info('request.completed', { status: response.status ?? 200, durationMs: now() - started });
    return response;
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return typeof error;
}
