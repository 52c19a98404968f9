/**
 * Partner Center failures as data: what happened, what the service said, whether the referral may
 * exist and whether trying again can help. Plain JSON, so a failure crosses the Durable boundary
 * as it is; the HTTP edge turns it into an answer.
 */

export type PartnerCenterFailureKind =
  /** The service refused the request itself (a business 4xx): nothing was created. */
  | 'rejected'
  /** 409 or 412: refused, but the docs do not say that nothing was created. */
  | 'conflict'
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
  | 'consentRequired'
  /** The identity provider failed or did not answer in time: no token, for now. */
  | 'tokenUnavailable';

export interface PartnerCenterFailure {
  kind: PartnerCenterFailureKind;
  /** What the gateway was doing, in words: "create a referral". */
  operation: string;
  /** The service's HTTP status, when it answered. */
  status?: number;
  code?: string;
  message?: string;
  target?: string;
  /** Every problem the service listed, in any of its body shapes. */
  details?: UpstreamDetail[];
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

export interface UpstreamDetail {
  path: string;
  code: string;
  message: string;
}

/** What an error body said, whatever its shape, bounded and without anything secret-looking. */
export interface UpstreamSaid {
  code?: string;
  message?: string;
  target?: string;
  details?: UpstreamDetail[];
  innerError?: unknown;
}

const MAX_MESSAGE = 1024;
const MAX_DETAILS = 50;
const MAX_INNER_ERROR_CHARS = 4096;
const MAX_INNER_ERROR_DEPTH = 6;
/** Keys whose values could carry credentials; dropped from what is passed on. */
const SECRET_KEY = /authori[sz]ation|token|secret|password|passwd|credential|cookie|api[-_]?key/i;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown, max = MAX_MESSAGE): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.slice(0, max) : undefined;

/** A JSON value without secret-looking keys, its depth and size bounded. */
export function sanitized(value: unknown, depth = 0): unknown {
  if (depth > MAX_INNER_ERROR_DEPTH) return '[nested too deep]';
  if (typeof value === 'string') return value.slice(0, MAX_MESSAGE);
  if (Array.isArray(value)) {
    return value.slice(0, MAX_DETAILS).map((item) => sanitized(item, depth + 1));
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (!SECRET_KEY.test(key)) out[key] = sanitized(item, depth + 1);
    }
    return out;
  }
  return value;
}

function boundedInnerError(value: unknown): unknown {
  const clean = sanitized(value);
  const text = JSON.stringify(clean);
  if (text === undefined || text.length <= MAX_INNER_ERROR_CHARS) return clean;
  return { truncated: true, text: text.slice(0, MAX_INNER_ERROR_CHARS) };
}

function detailsFromArray(items: unknown[]): UpstreamDetail[] {
  return items.slice(0, MAX_DETAILS).flatMap((item) => {
    if (!isObject(item)) {
      const message = str(item);
      return message ? [{ path: '', code: 'upstream', message }] : [];
    }
    const message = str(item.message) ?? str(item.detail) ?? str(item.title);
    if (!message) return [];
    return [
      {
        path: str(item.target) ?? str(item.path) ?? str(item.field) ?? '',
        code: str(item.code) ?? 'upstream',
        message,
      },
    ];
  });
}

/** ASP.NET problem details: `errors: { "field": ["message", ...] }`. */
function detailsFromErrorMap(errors: Record<string, unknown>): UpstreamDetail[] {
  return Object.entries(errors)
    .flatMap(([path, messages]) =>
      (Array.isArray(messages) ? messages : [messages]).flatMap((message) => {
        const text = str(message);
        return text ? [{ path, code: 'upstream', message: text }] : [];
      }),
    )
    .slice(0, MAX_DETAILS);
}

/**
 * Reads what an error body says: Partner Center's documented `{ error: { code, message, target,
 * details, innerError } }`, the same without the wrapper, ASP.NET problem details
 * (`{ title, detail, status, errors }`), or plain text.
 */
export function upstreamSaid(body: unknown): UpstreamSaid {
  if (typeof body === 'string') {
    const message = str(body);
    return message ? { message } : {};
  }
  if (!isObject(body)) return {};
  const error = isObject(body.error) ? body.error : body;
  const said: UpstreamSaid = {};
  const code = str(error.code, 256) ?? str(error.type, 256);
  const message = str(error.message) ?? str(error.detail) ?? str(error.title);
  const target = str(error.target, 256);
  const details = [
    ...(Array.isArray(error.details) ? detailsFromArray(error.details) : []),
    ...(isObject(error.errors) ? detailsFromErrorMap(error.errors) : []),
    ...(Array.isArray(error.errors) ? detailsFromArray(error.errors) : []),
  ].slice(0, MAX_DETAILS);
  if (code) said.code = code;
  if (message) said.message = message;
  if (target) said.target = target;
  if (details.length > 0) said.details = details;
  if (error.innerError !== undefined) said.innerError = boundedInnerError(error.innerError);
  return said;
}

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
  const said = {
    status: attempt.status,
    ...upstreamSaid(attempt.body),
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
  if (attempt.status === 409 || attempt.status === 412) {
    // A conflict may be with a referral this very request created: not proof of "nothing".
    return { kind: 'conflict', operation, ...said, created: 'unknown', retryable: false };
  }
  return { kind: 'rejected', operation, ...said, created: 'no', retryable: false };
}

/** The integration user must sign in again: nothing the caller can fix by retrying. */
export function tokenUnavailable(reason: string): PartnerCenterError {
  return new PartnerCenterError({
    kind: 'tokenUnavailable',
    operation: 'get a Partner Center token',
    reason,
    retryAfterSeconds: 30,
    created: 'no',
    retryable: true,
  });
}

export function consentRequired(reason: string): PartnerCenterError {
  return new PartnerCenterError({
    kind: 'consentRequired',
    operation: 'get a Partner Center token',
    reason,
    created: 'no',
    retryable: false,
  });
}
