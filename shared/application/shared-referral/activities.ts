/**
 * The two steps of a shared referral as Durable activities. Each is idempotent on its own: it
 * first looks for its recorded result, and it sends a `request-id` derived from the operation and
 * the step, so a replayed or redelivered activity never creates a second referral. Partner
 * Center's failures are returned as data with whether trying again can help; the orchestrator
 * decides what to do with them.
 */
import { PartnerCenterError } from '../../adapters/partner-center/errors';
import { attemptLogger } from '../../adapters/partner-center/attempt-log';
import type { EngagementStore } from '../../adapters/storage/engagement-store';
import { callerRecordOf } from '../../contract/caller';
import type { Logger } from '../../logging';
import type { ReferralCreator } from '../create-referral';
import {
  fitsProgress,
  microsoftReferralRequest,
  stepRequestId,
  type SharedStep,
  type StepFailure,
  type StepInput,
  type StepOutcome,
} from './flow';

export interface StepDeps {
  partnerCenter: ReferralCreator;
  engagements: EngagementStore;
  log: Logger;
}

/**
 * A failure too large for the operation's progress is kept whole with the operation, where its
 * answer reads it. Best effort: without it the caller still gets the abridged failure.
 */
async function keepWholeFailure(
  deps: StepDeps,
  operationId: string,
  failure: StepFailure,
): Promise<void> {
  try {
    await deps.engagements.recordOperationFailure(operationId, failure);
  } catch {
    deps.log.warn('sharedReferral.failureNotKept', { outcome: 'abridged' });
  }
}

export async function runStep(
  deps: StepDeps,
  step: SharedStep,
  input: StepInput,
): Promise<StepOutcome> {
  const recorded = await deps.engagements.findStep(input.operationId, step);
  if (recorded) {
    deps.log.info('sharedReferral.stepAlreadyDone', { referralId: recorded.id, outcome: step });
    return { ok: true, referral: recorded };
  }
  let request = input.referral;
  if (step === 'microsoft') {
    if (!input.engagementId) throw new Error('step 2 needs the engagement id of step 1');
    request = microsoftReferralRequest(input.referral, input.engagementId);
  }
  let referral;
  try {
    ({ referral } = await deps.partnerCenter.createReferral(request, {
      requestId: stepRequestId(input.operationId, step),
      correlationId: input.correlationId,
      onAttempt: attemptLogger(deps.log),
    }));
  } catch (error) {
    if (!(error instanceof PartnerCenterError)) throw error;
    const { failure } = error;
    // A refusal is an answer, not a fault: trying again cannot change it.
    if (!failure.retryable) {
      deps.log.warn('sharedReferral.stepRejected', { status: failure.status, outcome: step });
    }
    const stepFailure = { source: 'partnerCenter' as const, failure };
    if (!fitsProgress(stepFailure, input.engagementId)) {
      await keepWholeFailure(deps, input.operationId, stepFailure);
    }
    return { ok: false, failure: stepFailure, retryable: failure.retryable };
  }
  await deps.engagements.recordStep({
    operationId: input.operationId,
    role: step,
    referral,
    ...callerRecordOf(input),
  });
  deps.log.info('sharedReferral.stepDone', {
    referralId: referral.id,
    ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
    outcome: step,
  });
  return { ok: true, referral };
}
