/**
 * Whether Partner Center created a referral whose create has no known outcome (the request that
 * sent it died, or its answer was lost). Partner Center does not promise to deduplicate a repeated
 * request id, so such a create is never sent again blindly: the recent referrals are listed
 * (newest first, on the documented `customerProfile/address/country` filter, every page) and
 * matched, on the gateway's side, on what was sent and the service does not rewrite.
 *
 * The guarantee rests on one assumption, named by PARTNER_CENTER_LIST_DELAY_MS: a new referral
 * shows in lists within that time. The listing waits it out after the last send; a referral that
 * shows later is not found, and the create is sent again (a duplicate, logged).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { CallOptions, ReferralFilter } from '../adapters/partner-center/client';
import { PartnerCenterError } from '../adapters/partner-center/errors';
import type { Referral, ReferralCreateRequest } from '../contract/schema';

export interface ReferralLister {
  listReferralPages(filter: ReferralFilter, options?: CallOptions): AsyncIterable<Referral[]>;
}

/** How far before the first send the listing looks: the service's clock may differ from ours. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), value);
}

/** What a create sent that Partner Center keeps as sent (status it may change on its own). */
const MATCHED_PATHS = [
  'type',
  'externalReferenceId',
  'name',
  'customerProfile.name',
  'customerProfile.address.country',
  'customerProfile.address.postalCode',
  'customerProfile.address.city',
  'details.dealValue',
  'details.currency',
  'consent.consentToContact',
  'consent.consentToShareReferralWithMicrosoftSellers',
  'engagementId',
];

const same = (sent: unknown, held: unknown) =>
  typeof sent === 'string' && typeof held === 'string'
    ? sent.trim() === held.trim()
    : JSON.stringify(sent) === JSON.stringify(held);

const targets = (value: unknown) =>
  (Array.isArray(value) ? value : [])
    .filter(isObject)
    .map((t) => `${String(t.type)}:${String(t.id)}`)
    .sort()
    .join(',');

/** Whether a listed referral is the one this request created. */
export function isCreatedFrom(request: ReferralCreateRequest, referral: Referral): boolean {
  for (const path of MATCHED_PATHS) {
    const sent = at(request, path);
    if (sent !== undefined && sent !== null && !same(sent, at(referral, path))) return false;
  }
  const sentTargets = targets(request.target);
  return sentTargets === '' || sentTargets === targets(referral.target);
}

/** Which request each referral was recorded under (the gateway's owner records). */
export interface ReferralClaims {
  claimOf(referralId: string): Promise<string | undefined>;
}

/**
 * The referral Partner Center created for `request` since `since`, if it shows; one recorded
 * under another request than `ownClaim` is never adopted.
 */
export async function findCreated(
  lister: ReferralLister,
  request: ReferralCreateRequest,
  since: Date,
  claims: ReferralClaims,
  ownClaim: string,
  options: CallOptions = {},
): Promise<Referral | undefined> {
  const takenElsewhere = async (referralId: string) => {
    const claim = await claims.claimOf(referralId);
    return claim !== undefined && claim !== ownClaim;
  };
  const country = at(request, 'customerProfile.address.country');
  const filter: ReferralFilter = {
    orderBy: 'createdDateTime desc',
    ...(typeof country === 'string' ? { country } : {}),
    ...(request.engagementId ? { engagementId: request.engagementId } : {}),
  };
  const from = since.getTime() - CLOCK_SKEW_MS;
  for await (const page of lister.listReferralPages(filter, options)) {
    for (const referral of page) {
      const created = Date.parse(String(referral.createdDateTime ?? ''));
      // Newest first: past the window, nothing older can be it.
      if (!Number.isNaN(created) && created < from) return undefined;
      if (isCreatedFrom(request, referral) && !(await takenElsewhere(referral.id))) return referral;
    }
  }
  return undefined;
}

/** Sends of one create within one call, each after finding the previous one made nothing. */
const MAX_SEND_ROUNDS = 3;

/** A failure after which Partner Center may or may not hold the referral. */
const outcomeUnknown = (error: unknown) =>
  error instanceof PartnerCenterError &&
  error.failure.created === 'unknown' &&
  error.failure.retryable;

export interface SettledSend {
  /** One send of the create (always with the same request-id). */
  send(): Promise<Referral>;
  /** The referral a send since `since` made, if it shows in lists. */
  find(since: Date): Promise<Referral | undefined>;
  listDelayMs: number;
  /** How long the sends may take in all (the caller's hold on the create). */
  budgetMs: number;
  onFound?: (referral: Referral) => void;
  /**
   * A resend after an earlier send's outcome stayed unknown and nothing was listed: if that send
   * did create a referral that showed later than the assumed bound, this one is a duplicate.
   */
  onResend?: () => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Sends the create; when its outcome is unknown (an answer lost, a timeout, a 5xx), finds out
 * before sending again, up to three sends within the budget: waits until the referral would show
 * in lists, looks for it, and sends again only when it is not there.
 */
export async function sendSettled(call: SettledSend): Promise<Referral> {
  const now = call.now ?? (() => Date.now());
  const started = now();
  for (let round = 1; ; round++) {
    const sentAt = new Date();
    try {
      return await call.send();
    } catch (error) {
      const budgetLeft = now() - started + call.listDelayMs < call.budgetMs;
      if (!outcomeUnknown(error) || !budgetLeft || round >= MAX_SEND_ROUNDS) throw error;
    }
    await (call.sleep ?? sleepFor)(call.listDelayMs);
    const found = await call.find(sentAt);
    if (found) {
      call.onFound?.(found);
      return found;
    }
    call.onResend?.();
  }
}
