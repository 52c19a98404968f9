/** Partner Center failures in this product's envelope, keeping what the service said. */
import { errorEnvelope, GatewayError, type UpstreamError } from '../../contract/errors';

export type UpstreamFailure =
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

/** Maps a final (no more retries) upstream failure to the answer our caller gets. */
export function partnerCenterError(failure: UpstreamFailure, operation: string): GatewayError {
  const target = 'partnerCenter';
  if (failure.kind === 'timeout') {
    return new GatewayError(
      504,
      errorEnvelope(
        'upstreamTimeout',
        `Partner Center did not answer in time while trying to ${operation}. It is safe to send the same request again.`,
        target,
        [],
        { status: 504, ...(failure.requestId ? { requestId: failure.requestId } : {}) },
      ),
    );
  }
  if (failure.kind === 'network') {
    return new GatewayError(
      502,
      errorEnvelope(
        'upstreamUnreachable',
        `Partner Center could not be reached while trying to ${operation} (${failure.reason}). It is safe to send the same request again.`,
        target,
        [],
        { status: 502, ...(failure.requestId ? { requestId: failure.requestId } : {}) },
      ),
    );
  }

  const body = upstreamErrorBody(failure.body);
  const upstream: UpstreamError = { status: failure.status };
  const code = str(body.code);
  const message = str(body.message)?.slice(0, 1024);
  if (code) upstream.code = code;
  if (message) upstream.message = message;
  if (failure.requestId) upstream.requestId = failure.requestId;
  if (body.innerError !== undefined) upstream.innerError = body.innerError;
  const said = message ? `: ${message}` : '';
  const retryAfterSeconds =
    failure.retryAfterMs !== undefined
      ? Math.max(1, Math.ceil(failure.retryAfterMs / 1000))
      : undefined;

  if (failure.status === 429) {
    return new GatewayError(
      429,
      errorEnvelope(
        'upstreamThrottled',
        `Partner Center is throttling requests; try again after the Retry-After interval${said}`,
        target,
        [],
        upstream,
      ),
      retryAfterSeconds ?? 30,
    );
  }
  if (failure.status >= 500 || failure.status === 408) {
    return new GatewayError(
      502,
      errorEnvelope(
        'upstreamUnavailable',
        `Partner Center failed with ${failure.status} while trying to ${operation}, also after retries${said}. It is safe to send the same request again.`,
        target,
        [],
        upstream,
      ),
      retryAfterSeconds,
    );
  }
  if (failure.status === 401 || failure.status === 403) {
    // Our credentials, not the caller's request: a gateway configuration problem.
    return new GatewayError(
      502,
      errorEnvelope(
        'upstreamAccessDenied',
        `Partner Center refused the gateway's integration user (${failure.status})${said}. An administrator must check that the user holds the Referral Admin or Referral User role and has consented (npm run consent).`,
        target,
        [],
        upstream,
      ),
    );
  }
  // Business errors keep Partner Center's status and code so flows can branch on them.
  return new GatewayError(
    failure.status,
    errorEnvelope(
      code ?? 'upstreamRejected',
      `Partner Center rejected the request to ${operation} (${failure.status})${said}`,
      str(body.target) ?? target,
      [],
      upstream,
    ),
  );
}
