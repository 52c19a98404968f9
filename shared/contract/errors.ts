/**
 * The one error envelope every answer of this product uses. It mirrors Partner Center's own
 * `{ error: { code, message, target, ... } }` so a flow can branch on `error.code` for both.
 */
export interface ErrorDetail {
  /** JSON path of the offending value, e.g. `$.customerProfile.team[0].email`. */
  path: string;
  code: string;
  message: string;
}

/** What Partner Center said, kept verbatim (minus anything sensitive) when an error came from it. */
export interface UpstreamError {
  status: number;
  code?: string;
  message?: string;
  requestId?: string;
  clientRequestId?: string;
  innerError?: unknown;
}

export interface ErrorBody {
  code: string;
  message: string;
  target: string;
  details: ErrorDetail[];
  upstream?: UpstreamError;
}

export interface ErrorEnvelope {
  error: ErrorBody;
}

export function errorEnvelope(
  code: string,
  message: string,
  target: string,
  details: ErrorDetail[] = [],
  upstream?: UpstreamError,
): ErrorEnvelope {
  const error: ErrorBody = { code, message, target, details };
  if (upstream) error.upstream = upstream;
  return { error };
}

/** A failure that already knows how it should be answered: the HTTP status and the envelope. */
export class GatewayError extends Error {
  readonly status: number;
  readonly envelope: ErrorEnvelope;
  /** Seconds the caller should wait before trying again, when that is known. */
  readonly retryAfterSeconds?: number;
  /** Headers the answer must carry, e.g. `WWW-Authenticate` on a 401. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    envelope: ErrorEnvelope,
    retryAfterSeconds?: number,
    headers: Record<string, string> = {},
  ) {
    super(envelope.error.message);
    this.name = 'GatewayError';
    this.status = status;
    this.envelope = envelope;
    this.headers = headers;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}
