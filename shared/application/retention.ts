/**
 * What the gateway keeps only for the idempotency window (30 days by default): idempotency
 * records, finished shared-referral operations with their histories, and the operation rows
 * holding the referrals Partner Center returned (contact data included). Once the window has
 * passed, a request with the same key is a new request, so none of it may answer it any more.
 */
import type { FinishedOperations } from './shared-referral/operations';

export interface RetentionDeps {
  idempotency: { purgeExpired(): Promise<number> };
  engagements: { purgeOperationsBefore(cutoff: Date): Promise<number> };
  operations: FinishedOperations;
  windowMs: number;
  now?: () => Date;
}

export interface Purged {
  idempotencyRecords: number;
  operations: number;
  operationRows: number;
}

export async function purgeExpired(deps: RetentionDeps): Promise<Purged> {
  const cutoff = new Date((deps.now?.() ?? new Date()).getTime() - deps.windowMs);
  // The operations first: their rows and records then cannot be found by a late resend alone.
  const operations = await deps.operations.purgeFinishedBefore(cutoff);
  const operationRows = await deps.engagements.purgeOperationsBefore(cutoff);
  const idempotencyRecords = await deps.idempotency.purgeExpired();
  return { idempotencyRecords, operations, operationRows };
}
