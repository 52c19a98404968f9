/**
 * The shared referral as a Durable Functions orchestration: step 1 creates the partner's
 * referral, step 2 Microsoft's connected referral on the same engagement. A deterministic
 * generator: no clock, randomness or I/O here; the activities do the work and answer with data,
 * and the retries are decided here from that data (durable timers between attempts).
 */
import type * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { errorBody } from '../../contract/errors';
import { createLogger } from '../../logging';
import {
  DEFAULT_STEP_RETRY,
  failedProgress,
  gatewayStepFailure,
  progressStep,
  SHARED_REFERRAL_ORCHESTRATION,
  stepActivity,
  stepKeptFailing,
  stepRetryDelayMs,
  type SharedReferralInput,
  type SharedReferralOutput,
  type SharedReferralProgress,
  type SharedStep,
  type StepFailure,
  type StepInput,
  type StepOutcome,
} from './flow';

function progress(context: OrchestrationContext, status: SharedReferralProgress): void {
  context.df.setCustomStatus(status);
}

/**
 * Ends the orchestration as failed. The cause is data in the custom status (within the
 * extension's size limit), which is what the gateway reads; the thrown message is for operators
 * looking at the instance.
 */
function fail(
  context: OrchestrationContext,
  failure: StepFailure,
  engagementId: string | undefined,
): never {
  progress(context, failedProgress(failure, engagementId));
  // Logged once, not at every replay; a log is no action, so the history is unchanged.
  if (!context.df.isReplaying) {
    createLogger(context, { operation: SHARED_REFERRAL_ORCHESTRATION }).error(
      'sharedReferral.failed',
      {
        operationId: context.df.instanceId,
        code: failure.source === 'partnerCenter' ? failure.failure.kind : failure.error.code,
        ...(failure.source === 'partnerCenter' && failure.failure.status
          ? { status: failure.failure.status }
          : {}),
      },
    );
  }
  throw new Error(`The shared referral failed: ${describe(failure)}`);
}

function describe(failure: StepFailure): string {
  return failure.source === 'partnerCenter'
    ? `Partner Center ${failure.failure.kind} (${failure.failure.status ?? 'no answer'})`
    : failure.error.code;
}

/** One step, tried again after a durable timer while it may still succeed. */
function* runStep(
  context: OrchestrationContext,
  step: SharedStep,
  input: StepInput,
): Generator<df.Task, StepOutcome, unknown> {
  const retry = input.retry ?? DEFAULT_STEP_RETRY;
  for (let attempt = 1; ; attempt++) {
    let outcome: StepOutcome;
    try {
      outcome = (yield context.df.callActivity(stepActivity(step), input)) as StepOutcome;
    } catch {
      // The activity threw (storage down, a crash): nothing says it cannot succeed next time.
      outcome = { ok: false, failure: stepKeptFailing(step), retryable: true };
    }
    if (outcome.ok || !outcome.retryable || attempt >= retry.maxAttempts) return outcome;
    const at = context.df.currentUtcDateTime.getTime() + stepRetryDelayMs(retry, attempt);
    yield context.df.createTimer(new Date(at));
  }
}

export const sharedReferralOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, SharedReferralOutput, unknown> {
  const input = context.df.getInput() as SharedReferralInput;
  const operationId = context.df.instanceId;

  progress(context, { step: progressStep('partner') });
  const partner = yield* runStep(context, 'partner', { ...input, operationId });
  if (!partner.ok) return fail(context, partner.failure, undefined);
  const engagementId = partner.referral.engagementId;
  if (!engagementId) {
    return fail(
      context,
      gatewayStepFailure(
        'stepFailed',
        errorBody(
          'engagementIdMissing',
          `Partner Center created your referral ${partner.referral.id} but returned no engagementId, so Microsoft's referral cannot be connected to it.`,
          'partnerCenter',
        ),
      ),
      undefined,
    );
  }

  progress(context, { step: progressStep('microsoft'), engagementId });
  const microsoft = yield* runStep(context, 'microsoft', { ...input, operationId, engagementId });
  if (!microsoft.ok) return fail(context, microsoft.failure, engagementId);

  progress(context, { step: 'completed', engagementId });
  if (!context.df.isReplaying) {
    createLogger(context, { operation: SHARED_REFERRAL_ORCHESTRATION }).info(
      'sharedReferral.completed',
      { operationId, engagementId, referralType: 'Shared' },
    );
  }
  // Not hidden: a step resent after an unknown outcome is named on the operation.
  const resent = (['partner', 'microsoft'] as const).filter(
    (step) => (step === 'partner' ? partner : microsoft).resentAfterUnknownOutcome,
  );
  return {
    operationId,
    engagementId,
    partnerReferral: partner.referral,
    microsoftReferral: microsoft.referral,
    ...(resent.length > 0 ? { resentAfterUnknownOutcome: [...resent] } : {}),
  };
};
