/**
 * The shared referral flow's pure parts: the two requests (the partner's referral, then the
 * connected one for Microsoft on the same engagement), ids derived so that repeats converge, and
 * failures carried through Durable Functions as JSON.
 */
import type { CallerRecord } from '../../adapters/caller/caller';
import { createHash } from 'node:crypto';
import { errorEnvelope, GatewayError, type ErrorEnvelope } from '../../contract/errors';
import type { Referral, ReferralCreateRequest, Target } from '../../contract/schema';

export const SHARED_REFERRAL_ORCHESTRATION = 'sharedReferral';
export const PARTNER_REFERRAL_ACTIVITY = 'createPartnerReferral';
export const MICROSOFT_REFERRAL_ACTIVITY = 'createMicrosoftReferral';

/** Microsoft's side of a co-sell engagement, as the seed document gives it. */
export const MICROSOFT_TARGET: Target = { type: 'BusinessProfileLocation', id: 'msft' };

export type SharedStep = 'partner' | 'microsoft';

/** What the orchestration is started with. */
export interface SharedReferralInput extends CallerRecord {
  /** The partner's referral (type Shared, with a SolutionProfile target). */
  referral: ReferralCreateRequest;
  requestHash: string;
  keySource: 'header' | 'externalReferenceId' | 'none';
  correlationId: string;
  /** When the gateway accepted the request (the orchestrator may not read the clock). */
  acceptedAt: string;
}

/** What each activity is called with. */
export interface StepInput extends SharedReferralInput {
  operationId: string;
  /** For step 2: the engagement step 1 created. */
  engagementId?: string;
}

export interface StepFailure {
  status: number;
  envelope: ErrorEnvelope;
}

/** Activities answer business errors (which must not be retried) instead of throwing them. */
export type StepResult = { ok: true; referral: Referral } | { ok: false; failure: StepFailure };

export interface SharedReferralOutput {
  operationId: string;
  engagementId: string;
  partnerReferral: Referral;
  microsoftReferral: Referral;
}

/** What `customStatus` says while the orchestration runs. */
export interface SharedReferralProgress {
  step: 'partnerReferral' | 'microsoftReferral' | 'completed' | 'failed';
  engagementId?: string;
  failure?: StepFailure;
}

/**
 * The partner's referral must target one of the partner's solution profiles: from the body, else
 * the configured default. Returns the request to send, or a 400 naming the field.
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
  throw new GatewayError(
    400,
    errorEnvelope(
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

/** Step 2: Microsoft's connected referral on the engagement step 1 created. */
export function microsoftReferralRequest(
  partner: ReferralCreateRequest,
  engagementId: string,
): ReferralCreateRequest {
  return { ...partner, type: 'Shared', engagementId, target: [MICROSOFT_TARGET] };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A GUID-shaped id from a hash, so the same inputs always give the same id. */
function guidFrom(hex: string): string {
  const h = hex.slice(0, 32).split('');
  h[12] = '5'; // "name-based" version nibble
  h[16] = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** The orchestration instance (= operation) id for a key: repeats find the same instance. */
export function operationIdFor(caller: string, key: string): string {
  return guidFrom(sha256(`shared-referral\n${caller}\n${key}`));
}

/** The Partner Center `request-id` of one step: a re-run of the step re-sends the same one. */
export function stepRequestId(operationId: string, step: SharedStep): string {
  return guidFrom(sha256(`${operationId}\n${step}`));
}

/** Failures cross the Durable boundary as text; this keeps status and envelope intact. */
const FAILURE_MARK = 'gateway-failure:';

export function failureMessage(failure: StepFailure): string {
  return `${FAILURE_MARK}${JSON.stringify(failure)}`;
}

export function failureFromMessage(message: string | undefined): StepFailure | undefined {
  const at = message?.indexOf(FAILURE_MARK) ?? -1;
  if (!message || at < 0) return undefined;
  const json = message.slice(at + FAILURE_MARK.length);
  // The host may append text after the JSON (e.g. a stack); take the balanced object only.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        const parsed = JSON.parse(json.slice(0, i + 1)) as StepFailure;
        return typeof parsed.status === 'number' && parsed.envelope?.error ? parsed : undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function stepFailureOf(error: GatewayError): StepFailure {
  return { status: error.status, envelope: error.envelope };
}
