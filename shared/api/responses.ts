/** Maps outcomes and failures to HTTP answers, always in the error envelope for failures. */
import type { HttpResponseInit } from '@azure/functions';
import { errorEnvelope, GatewayError } from '../contract/errors';
import { ConfigurationError } from '../config';

export const CORRELATION_HEADER = 'x-correlation-id';

export function jsonResponse(
  status: number,
  body: unknown,
  correlationId: string,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      [CORRELATION_HEADER]: correlationId,
      ...headers,
    },
  };
}

/** Any failure as a GatewayError; unexpected ones become a 500 that says nothing internal. */
export function asGatewayError(error: unknown, correlationId: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ConfigurationError) {
    return new GatewayError(
      500,
      errorEnvelope(
        'configurationError',
        'The gateway is not configured correctly; an administrator can see which settings in GET /api/health.',
        'gateway',
      ),
    );
  }
  return new GatewayError(
    500,
    errorEnvelope(
      'internalError',
      `The gateway failed unexpectedly. Quote correlation id ${correlationId} when reporting it; it is safe to send the same request again.`,
      'gateway',
    ),
  );
}

export function errorResponse(error: GatewayError, correlationId: string): HttpResponseInit {
  const headers: Record<string, string> = { ...error.headers };
  if (error.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.retryAfterSeconds);
  return jsonResponse(error.status, error.envelope, correlationId, headers);
}
