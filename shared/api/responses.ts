/**
 * The one place where outcomes and failures become HTTP answers: every failure of every layer
 * below (typed, never HTTP-shaped) is mapped here to a status, headers and the error envelope.
 */
import type { HttpResponseInit } from '@azure/functions';
import { CallerForbidden, CallerRejected } from '../adapters/caller/authenticate';
import { PartnerCenterError, type PartnerCenterFailure } from '../adapters/partner-center/errors';
import { isStorageOutage } from '../adapters/storage/outage';
import type { StepFailure } from '../application/shared-referral/flow';
import { ConfigurationError } from '../config';
import {
  errorBody,
  Failure,
  type ErrorBody,
  type FailureKind,
  type UpstreamError,
} from '../contract/errors';

export const CORRELATION_HEADER = 'x-correlation-id';
const REALM = 'Bearer realm="referral-gateway"';
export const CONSENT_COMMAND = 'npm run consent';

/** A failure of the HTTP exchange itself (content type, size, JSON syntax). */
export class HttpFailure extends Error {
  override name = 'HttpFailure';
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** A failure as it will be answered. */
export interface Answered {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** What the logs say about it. */
  log: 'rejected' | 'unauthenticated' | 'failed' | 'crashed';
  /** For the logs only (why a caller was refused, what crashed). */
  reason?: string;
}

const STATUS_OF_KIND: Record<FailureKind, number> = {
  invalidRequest: 400,
  notFound: 404,
  conflict: 409,
  busy: 409,
  preconditionFailed: 412,
  tooLarge: 413,
  stepFailed: 502,
  internal: 500,
};

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

const retryAfter = (seconds: number | undefined): Record<string, string> =>
  seconds === undefined ? {} : { 'retry-after': String(seconds) };

const answered = (
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): Answered => ({ status, body, headers, log: status >= 500 ? 'failed' : 'rejected' });

/** What Partner Center's failure means for our caller. */
export function partnerCenterAnswer(failure: PartnerCenterFailure): Answered {
  const { operation } = failure;
  const target = 'partnerCenter';
  const upstream: UpstreamError = {
    status: failure.status ?? (failure.kind === 'timeout' ? 504 : 502),
    ...(failure.code ? { code: failure.code } : {}),
    ...(failure.message ? { message: failure.message } : {}),
    ...(failure.target ? { target: failure.target } : {}),
    ...(failure.details ? { details: failure.details } : {}),
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
    ...(failure.innerError !== undefined ? { innerError: failure.innerError } : {}),
  };
  const said = failure.message ? `: ${failure.message}` : '';
  switch (failure.kind) {
    case 'timeout':
      return answered(
        504,
        errorBody(
          'upstreamTimeout',
          `Partner Center did not answer in time while trying to ${operation}. It is safe to send the same request again.`,
          target,
          [],
          upstream,
        ),
      );
    case 'unreachable':
      return answered(
        502,
        errorBody(
          'upstreamUnreachable',
          `Partner Center could not be reached while trying to ${operation} (${failure.reason ?? 'network error'}). It is safe to send the same request again.`,
          target,
          [],
          upstream,
        ),
      );
    case 'throttled':
      return answered(
        429,
        errorBody(
          'upstreamThrottled',
          `Partner Center is throttling requests; try again after the Retry-After interval${said}`,
          target,
          [],
          upstream,
        ),
        retryAfter(failure.retryAfterSeconds ?? 30),
      );
    case 'unavailable':
      return answered(
        502,
        errorBody(
          'upstreamUnavailable',
          `Partner Center failed with ${failure.status} while trying to ${operation}, also after retries${said}. It is safe to send the same request again.`,
          target,
          [],
          upstream,
        ),
        retryAfter(failure.retryAfterSeconds),
      );
    case 'accessDenied':
      // Our credentials, not the caller's request: a gateway configuration problem.
      return answered(
        502,
        errorBody(
          'upstreamAccessDenied',
          `Partner Center refused the gateway's integration user (${failure.status})${said}. An administrator must check that the user holds the Referral Admin or Referral User role and has consented (${CONSENT_COMMAND}).`,
          target,
          [],
          upstream,
        ),
      );
    case 'tokenUnavailable':
      return answered(
        503,
        errorBody(
          'identityProviderUnavailable',
          `The gateway could not get a Partner Center token: ${failure.reason ?? 'the identity provider failed'}. Nothing was sent to Partner Center; send the same request again after the Retry-After interval.`,
          target,
        ),
        retryAfter(failure.retryAfterSeconds ?? 30),
      );
    case 'consentRequired':
      return answered(
        503,
        errorBody(
          'partnerCenterConsentRequired',
          `The gateway cannot get a Partner Center token for its integration user: ${failure.reason}. An administrator must run \`${CONSENT_COMMAND}\` to sign the integration user in again.`,
          target,
        ),
      );
    case 'rejected':
    case 'conflict':
      // Business errors keep Partner Center's status, code and details so flows can branch on them.
      return answered(
        failure.status ?? 400,
        errorBody(
          failure.code ?? 'upstreamRejected',
          `Partner Center rejected the request to ${operation} (${failure.status})${said}`,
          failure.target ?? target,
          failure.details ?? [],
          upstream,
        ),
      );
  }
}

/** How a shared referral's recorded failure is answered. */
export function stepFailureAnswer(failure: StepFailure): Answered {
  if (failure.source === 'partnerCenter') return partnerCenterAnswer(failure.failure);
  return answered(STATUS_OF_KIND[failure.kind], failure.error);
}

/** Any failure as it is answered; unexpected ones become a 500 that says nothing internal. */
export function answerFor(error: unknown, correlationId: string): Answered {
  if (error instanceof Failure) {
    return answered(STATUS_OF_KIND[error.kind], error.body, retryAfter(error.retryAfterSeconds));
  }
  if (error instanceof HttpFailure) return answered(error.status, error.body, error.headers);
  if (error instanceof PartnerCenterError) return partnerCenterAnswer(error.failure);
  if (error instanceof CallerRejected) {
    return {
      status: 401,
      body: errorBody(
        'unauthorized',
        'A valid Microsoft Entra ID access token for this API is required: send it as Authorization: Bearer <token>.',
        'Authorization',
      ),
      headers: {
        'www-authenticate': error.error ? `${REALM}, error="${error.error}"` : REALM,
      },
      log: 'unauthenticated',
      reason: error.reason,
    };
  }
  if (error instanceof CallerForbidden) {
    const { permission } = error;
    return answered(
      403,
      errorBody(
        'forbidden',
        `The caller lacks the ${permission} permission: assign it the ${permission} app role, or consent the ${permission} scope for its client app.`,
        'Authorization',
      ),
      { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${permission}"` },
    );
  }
  if (isStorageOutage(error)) {
    return {
      ...answered(
        503,
        errorBody(
          'storageUnavailable',
          'The gateway cannot reach its storage just now. Nothing was created for this request; send it again after the Retry-After interval.',
          'gateway',
        ),
        retryAfter(10),
      ),
      log: 'failed',
      reason: describe(error),
    };
  }
  if (error instanceof ConfigurationError) {
    return {
      ...answered(
        500,
        errorBody(
          'configurationError',
          'The gateway is not configured correctly; an administrator can see which settings in GET /api/health.',
          'gateway',
        ),
      ),
      log: 'crashed',
      reason: describe(error),
    };
  }
  return {
    ...answered(
      500,
      errorBody(
        'internalError',
        `The gateway failed unexpectedly. Quote correlation id ${correlationId} when reporting it; it is safe to send the same request again.`,
        'gateway',
      ),
    ),
    log: 'crashed',
    reason: describe(error),
  };
}

export function errorResponse(failure: Answered, correlationId: string): HttpResponseInit {
  return jsonResponse(failure.status, { error: failure.body }, correlationId, failure.headers);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return typeof error;
}
