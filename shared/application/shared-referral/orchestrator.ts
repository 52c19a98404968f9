/**
 * The shared referral as a Durable Functions orchestration: step 1 creates the partner's
 * referral, step 2 Microsoft's connected referral on the same engagement. A deterministic
 * generator: no clock, randomness or I/O here; the activities do the work.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { errorEnvelope } from '../../contract/errors';
import {
  failureFromMessage,
  failureMessage,
  MICROSOFT_REFERRAL_ACTIVITY,
  PARTNER_REFERRAL_ACTIVITY,
  type SharedReferralInput,
  type SharedReferralOutput,
  type SharedReferralProgress,
  type StepFailure,
  type StepInput,
  type StepResult,
} from './flow';

/** Transient step failures: 5 attempts, 5 s then doubling, at most 1 min apart. */
export function stepRetryOptions(): df.RetryOptions {
  const retry = new df.RetryOptions(5000, 5);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60000;
  return retry;
}

function progress(context: OrchestrationContext, status: SharedReferralProgress): void {
  context.df.setCustomStatus(status);
}

/** Ends the orchestration as failed, with the cause in its custom status and output. */
function fail(
  context: OrchestrationContext,
  failure: StepFailure,
  engagementId: string | undefined,
): never {
  progress(context, { step: 'failed', failure, ...(engagementId ? { engagementId } : {}) });
  throw new Error(failureMessage(failure));
}

function* step(
  context: OrchestrationContext,
  activity: string,
  input: StepInput,
): Generator<df.Task, StepResult, unknown> {
  try {
    return (yield context.df.callActivityWithRetry(
      activity,
      stepRetryOptions(),
      input,
    )) as StepResult;
  } catch (error) {
    // Retries used up on a transient fault: keep the upstream cause when the activity gave one.
    const message = error instanceof Error ? error.message : String(error);
    const failure = failureFromMessage(message) ?? {
      status: 502,
      envelope: errorEnvelope(
        'sharedReferralStepFailed',
        `The step '${activity}' kept failing after retries. Send the same request again to finish it; nothing will be created twice.`,
        'partnerCenter',
      ),
    };
    return { ok: false, failure };
  }
}

export const sharedReferralOrchestrator: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, SharedReferralOutput, unknown> {
  const input = context.df.getInput() as SharedReferralInput;
  const operationId = context.df.instanceId;

  progress(context, { step: 'partnerReferral' });
  const partner = yield* step(context, PARTNER_REFERRAL_ACTIVITY, { ...input, operationId });
  if (!partner.ok) return fail(context, partner.failure, undefined);
  const engagementId = partner.referral.engagementId ?? '';

  progress(context, { step: 'microsoftReferral', engagementId });
  const microsoft = yield* step(context, MICROSOFT_REFERRAL_ACTIVITY, {
    ...input,
    operationId,
    engagementId,
  });
  if (!microsoft.ok) return fail(context, microsoft.failure, engagementId);

  progress(context, { step: 'completed', engagementId });
  return {
    operationId,
    engagementId,
    partnerReferral: partner.referral,
    microsoftReferral: microsoft.referral,
  };
};
