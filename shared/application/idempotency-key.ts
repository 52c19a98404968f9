/**
 * Which key makes two creates "the same logical request": the caller's `Idempotency-Key` header,
 * else the referral's own `externalReferenceId` with its type, else none (not deduplicated).
 */
import { errorEnvelope, GatewayError } from '../contract/errors';
import type { ReferralCreateRequest } from '../contract/schema';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface IdempotencyKey {
  value: string;
  source: 'header' | 'externalReferenceId';
}

// Visible ASCII only: the key is echoed in logs and stored, so no control characters.
const KEY_PATTERN = /^[\x21-\x7E]+$/;

export function idempotencyKeyFor(
  headers: { get(name: string): string | null },
  referral: Pick<ReferralCreateRequest, 'externalReferenceId' | 'type'>,
): IdempotencyKey | undefined {
  const header = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (header !== null) {
    const value = header.trim();
    if (value === '' || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(value)) {
      throw new GatewayError(
        400,
        errorEnvelope(
          'invalidIdempotencyKey',
          `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters without spaces (a GUID is a good choice).`,
          'Idempotency-Key',
        ),
      );
    }
    return { value, source: 'header' };
  }
  const external = referral.externalReferenceId?.trim();
  if (external) return { value: `${referral.type}:${external}`, source: 'externalReferenceId' };
  return undefined;
}
