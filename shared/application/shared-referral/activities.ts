/**
 * The two steps of a shared referral as Durable activities, delivered at least once (a step may
 * run again after a crash, or twice at the same time). Each is idempotent on its own: it claims
 * the step, so only one run sends its create at a time (a step claimed before is first looked up
 * for its recorded result); a run that takes the claim over from one that may have sent finds out first (lists and
 * adopts, see reconcile.ts) and sends only when nothing was made; an unknown outcome is resolved
 * the same way. The `request-id` is derived from the operation and the step. Partner Center's
 * failures are returned as data with whether trying again can help; the orchestrator decides.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { PartnerCenterError } from '../../adapters/partner-center/errors';
import { attemptLogger } from '../../adapters/partner-center/attempt-log';
import type { EngagementStore, StepClaim } from '../../adapters/storage/engagement-store';
import { callerRecordOf } from '../../contract/caller';
import type { Logger } from '../../logging';
import type { IdempotencyPolicy, ReferralCreator } from '../create-referral';
import { findCreated, sendSettled, type ReferralLister } from '../reconcile';
import type { Referral, ReferralCreateRequest } from '../../contract/schema';
import {
  fitsProgress,
  microsoftReferralRequest,
  stepInFlight,
  stepRequestId,
  type SharedStep,
  type StepFailure,
  type StepInput,
  type StepOutcome,
} from './flow';

export interface StepDeps {
  partnerCenter: ReferralCreator & ReferralLister;
  engagements: EngagementStore;
  log: Logger;
  /** The claim's lease and the assumed list delay (the idempotency policy's). */
  policy: Pick<IdempotencyPolicy, 'leaseMs' | 'listDelayMs'>;
  sleep?: (ms: number) => Promise<void>;
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

/** How often a run that found the step claimed looks again. */
const CLAIM_POLL_MS = 500;

/**
 * Claims a step another run claimed before; while that run holds it (a duplicate delivery, or a
 * run that died), waits until it has recorded the referral or its claim has run out, then claims
 * it (the wait is bounded by the claim's lease, with a second for the service clock's whole
 * seconds).
 */
async function claimOrWait(
  deps: StepDeps,
  step: SharedStep,
  input: StepInput,
  holder: string,
): Promise<{ done?: Referral; claim: StepClaim }> {
  const sleep = deps.sleep ?? sleepFor;
  const claimNow = () =>
    deps.engagements.claimClaimedStep(input.operationId, step, holder, deps.policy.leaseMs);
  let claim = await claimNow();
  const waitUntil = Date.now() + (claim.held ? 0 : claim.leaseLeftMs + 2000);
  while (!claim.held && Date.now() < waitUntil) {
    await sleep(Math.min(CLAIM_POLL_MS, Math.max(0, waitUntil - Date.now())));
    const recorded = await deps.engagements.findStep(input.operationId, step);
    if (recorded) return { done: recorded, claim };
    claim = await claimNow();
  }
  return { claim };
}

/**
 * The step's referral: found when an earlier holder of the claim made it (once it would show in
 * lists), else sent, with any unknown outcome resolved before sending again.
 */
async function sendOrFind(
  deps: StepDeps,
  step: SharedStep,
  input: StepInput,
  request: ReferralCreateRequest,
  claim: { sentBefore: boolean; sinceWriteMs: number; firstClaimedAt: Date },
  onResend: () => void,
): Promise<Referral> {
  const sleep = deps.sleep ?? sleepFor;
  const callOptions = { correlationId: input.correlationId, onAttempt: attemptLogger(deps.log) };
  // A referral recorded for another operation is never this step's.
  const find = (since: Date) =>
    findCreated(
      deps.partnerCenter,
      request,
      since,
      deps.engagements,
      input.operationId,
      callOptions,
    );
  const found = (referral: Referral) =>
    deps.log.warn('sharedReferral.stepReconciled', { referralId: referral.id, outcome: step });
  if (claim.sentBefore) {
    const settling = deps.policy.listDelayMs - claim.sinceWriteMs;
    if (settling > 0) await sleep(settling);
    const made = await find(claim.firstClaimedAt);
    if (made) {
      found(made);
      return made;
    }
  }
  return sendSettled({
    send: async () =>
      (
        await deps.partnerCenter.createReferral(request, {
          requestId: stepRequestId(input.operationId, step),
          ...callOptions,
        })
      ).referral,
    find,
    listDelayMs: deps.policy.listDelayMs,
    budgetMs: deps.policy.leaseMs / 2,
    onFound: found,
    // Not hidden: a referral listed later than the assumed bound would make this a duplicate.
    onResend: () => {
      onResend();
      deps.log.warn('referral.resentAfterUnknownOutcome', {
        requestId: stepRequestId(input.operationId, step),
        outcome: step,
      });
    },
    sleep,
  });
}

export async function runStep(
  deps: StepDeps,
  step: SharedStep,
  input: StepInput,
): Promise<StepOutcome> {
  let request = input.referral;
  if (step === 'microsoft') {
    if (!input.engagementId) throw new Error('step 2 needs the engagement id of step 1');
    request = microsoftReferralRequest(input.referral, input.engagementId);
  }
  const holder = randomUUID();
  // The first run of a step claims it in one round trip: unclaimed, it cannot have been done.
  const fresh = await deps.engagements.claimFreshStep(
    input.operationId,
    step,
    holder,
    deps.policy.leaseMs,
  );
  if (!fresh) {
    const recorded = await deps.engagements.findStep(input.operationId, step);
    if (recorded) {
      deps.log.info('sharedReferral.stepAlreadyDone', { referralId: recorded.id, outcome: step });
      return { ok: true, referral: recorded };
    }
  }
  const claimed = fresh ? { claim: fresh } : await claimOrWait(deps, step, input, holder);
  if (claimed.done) {
    deps.log.info('sharedReferral.stepAlreadyDone', {
      referralId: claimed.done.id,
      outcome: step,
    });
    return { ok: true, referral: claimed.done };
  }
  const { claim } = claimed;
  if (!claim.held) {
    deps.log.info('sharedReferral.stepInFlight', { outcome: step });
    return { ok: false, failure: stepInFlight(step), retryable: true };
  }
  let referral: Referral;
  let resent = false;
  try {
    referral = await sendOrFind(deps, step, input, request, claim, () => (resent = true));
  } catch (error) {
    await deps.engagements.releaseStep(input.operationId, step, holder).catch(() => undefined);
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
  return { ok: true, referral, ...(resent ? { resentAfterUnknownOutcome: true as const } : {}) };
}
