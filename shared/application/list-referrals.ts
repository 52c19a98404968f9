/**
 * A page of referrals: Partner Center's page for the documented filters, narrowed by the gateway
 * to what it filters itself and to what the caller may read (`Referrals.Read` sees the referrals
 * it created; `Referrals.Read.All` everything). A page may therefore hold fewer referrals than
 * Partner Center's, even none, and still have a next one.
 */
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import type { PartnerCenterClient, ReferralFilter } from '../adapters/partner-center/client';
import type { EngagementStore } from '../adapters/storage/engagement-store';
import { mayRead, type Viewer } from '../contract/caller';
import { continuationFor, type ListPosition, type ReferralQuery } from '../contract/referral-query';
import type { Referral } from '../contract/schema';
import type { Logger } from '../logging';

export interface ListDeps {
  partnerCenter: Pick<PartnerCenterClient, 'listReferralPage'>;
  engagements: Pick<EngagementStore, 'ownerOf'>;
  log: Logger;
  correlationId: string;
  viewer: Viewer;
}

export interface ReferralListPage {
  referrals: Referral[];
  /** Where the next page starts; absent on the last page. */
  continuation?: string;
}

function upstreamFilter(query: ReferralQuery): ReferralFilter {
  const { externalReferenceId: _gatewaySide, ...upstream } = query;
  return upstream;
}

export async function listReferrals(
  deps: ListDeps,
  query: ReferralQuery,
  position?: ListPosition,
): Promise<ReferralListPage> {
  const page = await deps.partnerCenter.listReferralPage(
    upstreamFilter(query),
    position?.skipToken,
    { correlationId: deps.correlationId, onAttempt: attemptLogger(deps.log) },
  );
  let referrals = page.referrals;
  if (query.externalReferenceId !== undefined) {
    referrals = referrals.filter((r) => r.externalReferenceId === query.externalReferenceId);
  }
  if (!deps.viewer.seesAll) {
    const owners = await Promise.all(referrals.map((r) => deps.engagements.ownerOf(r.id)));
    referrals = referrals.filter((_, i) => mayRead(deps.viewer, owners[i]?.caller));
  }
  deps.log.info('referral.listed', { count: referrals.length });
  return {
    referrals,
    ...(page.skipToken
      ? { continuation: continuationFor(query, { skipToken: page.skipToken }) }
      : {}),
  };
}
