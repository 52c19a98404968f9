/**
 * The one error envelope every answer of this product uses, and the failure the layers below the
 * HTTP edge raise. It mirrors Partner Center's own `{ error: { code, message, target, ... } }` so a
 * flow can branch on `error.code` for both. Failures name a kind, never an HTTP status: the edge
 * alone decides how each kind is answered.
 */
import * as z from 'zod';
const text = (description: string) => z.string().describe(description);

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: text('What went wrong, for flows to branch on, e.g. invalidRequest, unauthorized.'),
      message: text('What went wrong and what to do, in words.'),
      target: text('Where: referral, request, Authorization, a header or route parameter.'),
      details: z
        .array(
          z.object({
            path: text('JSON path of the offending value, e.g. $.customerProfile.team[0].email.'),
            code: text('What is wrong with it, e.g. required, invalidValue.'),
            message: text('What is wrong and what is allowed.'),
          }),
        )
        .describe('Every problem found, when there are several.'),
      upstream: z
        .object({
          status: z.number().int().describe("Partner Center's HTTP status."),
          code: z.string().optional(),
          message: z.string().optional(),
          target: z.string().optional(),
          details: z
            .array(z.object({ path: z.string(), code: z.string(), message: z.string() }))
            .optional()
            .describe('Every problem Partner Center listed.'),
          requestId: z.string().optional(),
          innerError: z.unknown().optional().describe("Partner Center's own details, as sent."),
        })
        .optional()
        .describe('What Partner Center answered, when the failure comes from it.'),
    }),
  })
  .describe('The error envelope of every failure.');

export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;
export type ErrorBody = ErrorEnvelope['error'];
/** One problem: the JSON path of the offending value, e.g. `$.customerProfile.team[0].email`. */
export type ErrorDetail = ErrorBody['details'][number];
/** What Partner Center said, kept verbatim (minus anything sensitive) when an error came from it. */
export type UpstreamError = NonNullable<ErrorBody['upstream']>;

export function errorBody(
  code: string,
  message: string,
  target: string,
  details: ErrorDetail[] = [],
  upstream?: UpstreamError,
): ErrorBody {
  const error: ErrorBody = { code, message, target, details };
  if (upstream) error.upstream = upstream;
  return error;
}

export function errorEnvelope(
  code: string,
  message: string,
  target: string,
  details: ErrorDetail[] = [],
  upstream?: UpstreamError,
): ErrorEnvelope {
  return { error: errorBody(code, message, target, details, upstream) };
}

/**
 * What went wrong, in the application's words:
 * - `invalidRequest`: the caller's request is wrong; sending it again cannot help.
 * - `notFound`: what the caller named does not exist.
 * - `conflict`: the request contradicts an earlier one (e.g. a reused idempotency key).
 * - `busy`: an earlier request with the same key is still running; try again shortly.
 * - `preconditionFailed`: the resource changed since the version the request was based on.
 * - `tooLarge`: what the request would make is larger than the gateway keeps.
 * - `stepFailed`: a step of the shared flow kept failing; sending the request again finishes it.
 * - `internal`: the gateway failed in a way it cannot explain to the caller.
 */
export type FailureKind =
  | 'invalidRequest'
  | 'notFound'
  | 'conflict'
  | 'busy'
  | 'preconditionFailed'
  | 'tooLarge'
  | 'stepFailed'
  | 'internal';

/** A failure the caller must hear about, in the envelope's terms. */
export class Failure extends Error {
  override name = 'Failure';
  constructor(
    readonly kind: FailureKind,
    readonly body: ErrorBody,
    /** Seconds the caller should wait before trying again, when that is known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(body.message);
  }
}
