/**
 * Partner Center failures as data: what happened, what the service said, whether the referral may
 * exist and whether trying again can help. Plain JSON, so a failure crosses the Durable boundary
 * as it is; the HTTP edge turns it into an answer.
 */

export type PartnerCenterFailureKind =
  /** The service refused the request itself (a business 4xx). */
  | 'rejected'
  /** 429: too many requests; `retryAfterSeconds` when the service said. */
  | 'throttled'
  /** 408 or 5xx, also after retries. */
  | 'unavailable'
  /** No answer in time. */
  | 'timeout'
  /** No connection. */
  | 'unreachable'
  /** 401/403: the gateway's integration user is not allowed. */
  | 'accessDenied'
  /** No token for the integration user: it must sign in again. */
  | 'consentRequired';

export interface PartnerCenterFailure {
  kind: PartnerCenterFailureKind;
  /** What the gateway was doing, in words: "create a referral". */
  operation: string;
  /** The service's HTTP status, when it answered. */
  status?: number;
  code?: string;
  message?: string;
  target?: string;
  innerError?: unknown;
  requestId?: string;
  /** Why there was no answer (network code) or no token, for the message. */
  reason?: string;
  retryAfterSeconds?: number;
  /** `no`: nothing was created, the request may be corrected and sent afresh; `unknown`: it may exist. */
  created: 'no' | 'unknown';
  /** Whether sending the same request again (same request-id) can succeed. */
  retryable: boolean;
}

/** A Partner Center call that failed for good (after the client's own retries). */
export class PartnerCenterError extends Error {
  override name = 'PartnerCenterError';
  constructor(readonly failure: PartnerCenterFailure) {
    super(`Partner Center: ${failure.kind} while trying to ${failure.operation}`);
  }
}

/** What one attempt ended with, before it is known whether to retry. */
export type AttemptFailure =
  | { kind: 'response'; status: number; body: unknown; requestId?: string; retryAfterMs?: number }
  | { kind: 'timeout'; requestId?: string }
  | { kind: 'network'; requestId?: string; reason: string };

interface PartnerCenterErrorBody {
  code?: unknown;
  message?: unknown;
  target?: unknown;
  innerError?: unknown;
}

function upstreamErrorBody(body: unknown): PartnerCenterErrorBody {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'object' && error !== null) return error as PartnerCenterErrorBody;
  }
  return {};
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The typed failure of a call whose last attempt ended this way. */
export function partnerCenterFailure(
  attempt: AttemptFailure,
  operation: string,
): PartnerCenterFailure {
  const requestId = attempt.requestId ? { requestId: attempt.requestId } : {};
  if (attempt.kind === 'timeout') {
    return { kind: 'timeout', operation, ...requestId, created: 'unknown', retryable: true };
  }
  if (attempt.kind === 'network') {
    return {
      kind: 'unreachable',
      operation,
      reason: attempt.reason,
      ...requestId,
      created: 'unknown',
      retryable: true,
    };
  }
  const body = upstreamErrorBody(attempt.body);
  const code = str(body.code);
  const message = str(body.message)?.slice(0, 1024);
  const target = str(body.target);
  const said = {
    status: attempt.status,
    ...(code ? { code } : {}),
    ...(message ? { message } : {}),
    ...(target ? { target } : {}),
    ...(body.innerError !== undefined ? { innerError: body.innerError } : {}),
    ...requestId,
    ...(attempt.retryAfterMs !== undefined
      ? { retryAfterSeconds: Math.max(1, Math.ceil(attempt.retryAfterMs / 1000)) }
      : {}),
  };
  if (attempt.status === 429) {
    return { kind: 'throttled', operation, ...said, created: 'unknown', retryable: true };
  }
  if (attempt.status >= 500 || attempt.status === 408) {
    return { kind: 'unavailable', operation, ...said, created: 'unknown', retryable: true };
  }
  if (attempt.status === 401 || attempt.status === 403) {
    return { kind: 'accessDenied', operation, ...said, created: 'no', retryable: false };
  }
  return { kind: 'rejected', operation, ...said, created: 'no', retryable: false };
}

/** The integration user must sign in again: nothing the caller can fix by retrying. */
export function consentRequired(reason: string): PartnerCenterError {
  return new PartnerCenterError({
    kind: 'consentRequired',
    operation: 'get a Partner Center token',
    reason,
    created: 'no',
    retryable: false,
  });
}
