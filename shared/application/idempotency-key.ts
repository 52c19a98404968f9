/**
 * Which key makes two creates "the same logical request": the caller's `Idempotency-Key`, else
 * the referral's own `externalReferenceId` with its type, else none (not deduplicated). An update
 * takes the header only (see update-referral.ts for what happens without one).
 */
import { errorBody, Failure } from '../contract/errors';
import type { ReferralCreateRequest } from '../contract/schema';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface IdempotencyKey {
  value: string;
  source: 'header' | 'externalReferenceId';
}

// Visible ASCII only: the key is echoed in logs and stored, so no control characters.
const KEY_PATTERN = /^[\x21-\x7E]+$/;

const keyTarget = (key: IdempotencyKey) =>
  key.source === 'header' ? 'Idempotency-Key' : 'externalReferenceId';

/** The caller's Idempotency-Key header checked; undefined when none was sent. */
export function idempotencyKeyHeader(given: string | null): IdempotencyKey | undefined {
  if (given === null) return undefined;
  const value = given.trim();
  if (value === '' || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(value)) {
    throw new Failure(
      'invalidRequest',
      errorBody(
        'invalidIdempotencyKey',
        `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters without spaces (a GUID is a good choice).`,
        'Idempotency-Key',
      ),
    );
  }
  return { value, source: 'header' };
}

/** The key of a create: `given` is the caller's Idempotency-Key, null when none was sent. */
export function idempotencyKeyFor(
  given: string | null,
  referral: Pick<ReferralCreateRequest, 'externalReferenceId' | 'type'>,
): IdempotencyKey | undefined {
  const header = idempotencyKeyHeader(given);
  if (header) return header;
  const external = referral.externalReferenceId?.trim();
  if (external) return { value: `${referral.type}:${external}`, source: 'externalReferenceId' };
  return undefined;
}

/** The key was already used for a different request (independent or shared alike). */
export function keyReused(key: IdempotencyKey): Failure {
  return new Failure(
    'conflict',
    errorBody(
      'idempotencyKeyReused',
      key.source === 'header'
        ? 'This Idempotency-Key was already used for a different request. Send the original request again to get its answer, or use a new key for a new referral.'
        : 'A different request with this externalReferenceId and type was already received. Send the original request again to get its answer, or give the new referral its own externalReferenceId or an Idempotency-Key header.',
      keyTarget(key),
    ),
  );
}
