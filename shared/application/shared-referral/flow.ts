/**
 * The shared referral flow's pure parts: its two steps (the partner's referral, then the
 * connected one for Microsoft on the same engagement), the requests they send, ids derived so
 * that repeats converge, and what crosses the Durable boundary, all as plain data.
 */
import type { PartnerCenterFailure } from '../../adapters/partner-center/errors';
import type { CallerRecord } from '../../contract/caller';
import type { ReferralRole, SharedReferralOutcome } from '../../contract/engagement';
import { errorBody, Failure, type ErrorBody, type FailureKind } from '../../contract/errors';
import { guidNamedBy } from '../../contract/guid';
import type { Referral, ReferralCreateRequest, Target } from '../../contract/schema';

export const SHARED_REFERRAL_ORCHESTRATION = 'sharedReferral';

/** A step is named by the role of the referral it creates; everything else derives from that. */
export type SharedStep = ReferralRole;
export const SHARED_STEPS: readonly SharedStep[] = ['partner', 'microsoft'];

/** The activity that runs a step: createPartnerReferral, createMicrosoftReferral. */
export const stepActivity = (step: SharedStep) =>
  `create${step[0]?.toUpperCase()}${step.slice(1)}Referral`;

/** The step as callers see it in progress answers: partnerReferral, microsoftReferral. */
export type ProgressStep = `${SharedStep}Referral` | 'completed' | 'failed';
export const progressStep = (step: SharedStep): ProgressStep => `${step}Referral`;

/** Microsoft's side of a co-sell engagement, as the seed document gives it. */
export const MICROSOFT_TARGET: Target = { type: 'BusinessProfileLocation', id: 'msft' };

/** How often and how patiently a step that may still succeed is tried again. */
export interface StepRetryPolicy {
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Transient step failures: 5 attempts, 5 s then doubling, at most 1 min apart. */
export const DEFAULT_STEP_RETRY: StepRetryPolicy = {
  maxAttempts: 5,
  firstDelayMs: 5000,
  maxDelayMs: 60000,
};

/** The wait before attempt `attempt + 1`. */
export function stepRetryDelayMs(policy: StepRetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
}

/** What the orchestration is started with. */
export interface SharedReferralInput extends CallerRecord {
  /** The partner's referral (type Shared, with a SolutionProfile target). */
  referral: ReferralCreateRequest;
  requestHash: string;
  keySource: 'header' | 'externalReferenceId' | 'none';
  correlationId: string;
  /** When the gateway accepted the request (the orchestrator may not read the clock). */
  acceptedAt: string;
  /** Absent: DEFAULT_STEP_RETRY. */
  retry?: StepRetryPolicy;
}

/** What each activity is called with. */
export interface StepInput extends SharedReferralInput {
  operationId: string;
  /** For step 2: the engagement step 1 created. */
  engagementId?: string;
}

/** Why a step failed: what Partner Center said, or the gateway's own reason. */
export type StepFailure =
  | { source: 'partnerCenter'; failure: PartnerCenterFailure }
  | { source: 'gateway'; kind: FailureKind; error: ErrorBody };

/** An activity's answer: failures are returned as data, never thrown, so nothing parses text. */
export type StepOutcome =
  | {
      ok: true;
      referral: Referral;
      /** Sent again after an unknown outcome with nothing listed (a possible duplicate). */
      resentAfterUnknownOutcome?: true;
    }
  | { ok: false; failure: StepFailure; retryable: boolean };

export type SharedReferralOutput = SharedReferralOutcome;

/** What `customStatus` says while the orchestration runs, and why it failed when it did. */
export interface SharedReferralProgress {
  step: ProgressStep;
  engagementId?: string;
  failure?: StepFailure;
  /** The failure above is shortened to fit; the whole of it is kept with the operation. */
  failureAbridged?: true;
}

/**
 * The Durable extension fails an orchestration whose custom status is over 16 KB of UTF-16 JSON
 * (8,192 characters), losing the cause with it; the progress keeps to half of that.
 */
export const MAX_PROGRESS_CHARS = 4096;
const ABRIDGED_TEXT_CHARS = 300;

const progressChars = (progress: SharedReferralProgress) => JSON.stringify(progress).length;

/**
 * The progress of a failed operation within MAX_PROGRESS_CHARS: Partner Center's inner error
 * goes first, then problem details from the end, then long texts are cut. `failureAbridged` says
 * so; the whole failure is what the step recorded (see `fitsProgress`).
 */
export function failedProgress(
  failure: StepFailure,
  engagementId: string | undefined,
): SharedReferralProgress {
  const progress = (f: StepFailure, abridged: boolean): SharedReferralProgress => ({
    step: 'failed',
    failure: f,
    ...(engagementId ? { engagementId } : {}),
    ...(abridged ? { failureAbridged: true } : {}),
  });
  if (progressChars(progress(failure, false)) <= MAX_PROGRESS_CHARS) {
    return progress(failure, false);
  }
  const cut = (text: string | undefined) =>
    text && text.length > ABRIDGED_TEXT_CHARS ? `${text.slice(0, ABRIDGED_TEXT_CHARS)}…` : text;
  let shorter: StepFailure;
  if (failure.source === 'partnerCenter') {
    const { innerError: _inner, ...rest } = failure.failure;
    shorter = { source: 'partnerCenter', failure: rest };
    const details = [...(rest.details ?? [])];
    while (details.length > 0 && progressChars(progress(shorter, true)) > MAX_PROGRESS_CHARS) {
      details.pop();
      shorter = { source: 'partnerCenter', failure: { ...rest, details: [...details] } };
    }
    if (progressChars(progress(shorter, true)) > MAX_PROGRESS_CHARS) {
      const { message, target } = rest;
      shorter = {
        source: 'partnerCenter',
        failure: { ...rest, details: [], message: cut(message), target: cut(target) },
      };
    }
  } else {
    const { upstream: _upstream, ...error } = failure.error;
    shorter = { ...failure, error: { ...error, message: cut(error.message) ?? '', details: [] } };
  }
  return progress(shorter, true);
}

/** Whether a failure fits the progress whole (else the step records it for the answer). */
export const fitsProgress = (failure: StepFailure, engagementId?: string): boolean =>
  failedProgress(failure, engagementId).failureAbridged === undefined;

export const gatewayStepFailure = (kind: FailureKind, error: ErrorBody): StepFailure => ({
  source: 'gateway',
  kind,
  error,
});

/** A step that threw (not a Partner Center answer) on every attempt. */
export function stepKeptFailing(step: SharedStep): StepFailure {
  return gatewayStepFailure(
    'stepFailed',
    errorBody(
      'sharedReferralStepFailed',
      `The step '${stepActivity(step)}' kept failing after retries. Send the same request again to finish it; nothing will be created twice.`,
      'partnerCenter',
    ),
  );
}

/** Another run of the step holds its claim (at-least-once delivery): try again later. */
export function stepInFlight(step: SharedStep): StepFailure {
  return gatewayStepFailure(
    'stepFailed',
    errorBody(
      'sharedReferralStepInFlight',
      `Another run of the step '${stepActivity(step)}' is creating its referral. Send the same request again later to get the outcome; nothing will be created twice.`,
      'partnerCenter',
    ),
  );
}

/**
 * The partner's referral must target one of the partner's solution profiles: from the body, else
 * the configured default. Returns the request to send, or fails naming the field.
 */
export function partnerReferralRequest(
  referral: ReferralCreateRequest,
  defaultSolutionProfileId: string | undefined,
): ReferralCreateRequest {
  const targets = referral.target ?? [];
  if (targets.some((t) => t.type === 'SolutionProfile')) return referral;
  if (defaultSolutionProfileId) {
    return {
      ...referral,
      target: [...targets, { type: 'SolutionProfile', id: defaultSolutionProfileId }],
    };
  }
  throw new Failure(
    'invalidRequest',
    errorBody(
      'invalidRequest',
      "A shared referral needs a target of type 'SolutionProfile' (your solution profile id, e.g. SOL-ABC-DEF); none was sent and no default is configured (PARTNER_SOLUTION_PROFILE_ID).",
      'target',
      [
        {
          path: '$.target',
          code: 'solutionProfileRequired',
          message: "must contain a target of type 'SolutionProfile' with your solution profile id",
        },
      ],
    ),
  );
}

/**
 * Step 2: Microsoft's connected referral on the engagement step 1 created. The seed names only
 * the engagement and the target; it carries the same customer, consent, deal and invite context
 * (what Microsoft's side works from). The caller's own bookkeeping stays on the caller's referral:
 * its `externalReferenceId` (a CRM id names one referral, not two) and its status, substatus and
 * status reason (Microsoft's referral starts where Partner Center starts it).
 */
export function microsoftReferralRequest(
  partner: ReferralCreateRequest,
  engagementId: string,
): ReferralCreateRequest {
  const {
    externalReferenceId: _ownId,
    status: _status,
    substatus: _substatus,
    statusReason: _reason,
    ...shared
  } = partner;
  return { ...shared, type: 'Shared', engagementId, target: [MICROSOFT_TARGET] };
}

/** The orchestration instance (= operation) id for a key: repeats find the same instance. */
export function operationIdFor(caller: string, key: string): string {
  return guidNamedBy(`shared-referral\n${caller}\n${key}`);
}

/** The Partner Center `request-id` of one step: a re-run of the step re-sends the same one. */
export function stepRequestId(operationId: string, step: SharedStep): string {
  return guidNamedBy(`${operationId}\n${step}`);
}
