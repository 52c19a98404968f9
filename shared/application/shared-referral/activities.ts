/**
 * The two steps of a shared referral as Durable activities. Each is idempotent on its own: it
 * first looks for its recorded result, and it sends a `request-id` derived from the operation and
 * the step, so a replayed or redelivered activity never creates a second referral.
 */
import { callerRecordOf } from '../../adapters/caller/caller';
import { GatewayError } from '../../contract/errors';
import type { Logger } from '../../logging';
import { attemptLogger } from '../../adapters/partner-center/attempt-log';
import type { ReferralCreator } from '../create-referral';
import { definitelyNotCreated } from '../create-referral';
import type { EngagementStore, ReferralRole } from '../../adapters/storage/engagement-store';
import {
  failureMessage,
  microsoftReferralRequest,
  stepFailureOf,
  stepRequestId,
  type StepInput,
  type StepResult,
} from './flow';

export interface StepDeps {
  partnerCenter: ReferralCreator;
  engagements: EngagementStore;
  log: Logger;
}

async function runStep(deps: StepDeps, input: StepInput, role: ReferralRole): Promise<StepResult> {
  const recorded = await deps.engagements.findStep(input.operationId, role);
  if (recorded) {
    deps.log.info('sharedReferral.stepAlreadyDone', { referralId: recorded.id, outcome: role });
    return { ok: true, referral: recorded };
  }
  let request = input.referral;
  if (role === 'microsoft') {
    if (!input.engagementId) throw new Error('step 2 needs the engagement id of step 1');
    request = microsoftReferralRequest(input.referral, input.engagementId);
  }
  try {
    const { referral } = await deps.partnerCenter.createReferral(request, {
      requestId: stepRequestId(input.operationId, role),
      correlationId: input.correlationId,
      onAttempt: attemptLogger(deps.log),
    });
    await deps.engagements.recordStep({
      operationId: input.operationId,
      role,
      referral,
      ...callerRecordOf(input),
    });
    deps.log.info('sharedReferral.stepDone', {
      referralId: referral.id,
      ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
      outcome: role,
    });
    return { ok: true, referral };
  } catch (error) {
    // Business errors are answers, not faults: retrying cannot change them.
    if (error instanceof GatewayError && definitelyNotCreated(error)) {
      deps.log.warn('sharedReferral.stepRejected', { status: error.status, outcome: role });
      return { ok: false, failure: stepFailureOf(error) };
    }
    // Anything else is thrown so the orchestration retries the step (same request-id).
    if (error instanceof GatewayError) throw new Error(failureMessage(stepFailureOf(error)));
    throw error;
  }
}

export const createPartnerReferralStep = (deps: StepDeps, input: StepInput) =>
  runStep(deps, input, 'partner');

export const createMicrosoftReferralStep = (deps: StepDeps, input: StepInput) =>
  runStep(deps, input, 'microsoft');
