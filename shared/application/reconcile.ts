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
import type { CallOptions, ReferralFilter } from '../adapters/partner-center/client';
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

/**
 * The referral Partner Center created for `request` since `since`, if it shows; `taken` says a
 * referral already belongs to another request (never adopted twice).
 */
export async function findCreated(
  lister: ReferralLister,
  request: ReferralCreateRequest,
  since: Date,
  taken: (referralId: string) => Promise<boolean>,
  options: CallOptions = {},
): Promise<Referral | undefined> {
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
      if (isCreatedFrom(request, referral) && !(await taken(referral.id))) return referral;
    }
  }
  return undefined;
}
