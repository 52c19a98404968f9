/**
 * `GET /api/referrals`: a page of referrals for the gateway's small query vocabulary, with the
 * link to the next page (`nextLink`, which the connector follows: `x-ms-pageable`).
 */
import { listReferrals } from '../application/list-referrals';
import { viewerOf } from '../contract/caller';
import { Failure } from '../contract/errors';
import { parseReferralQuery } from '../contract/referral-query';
import type { ReferralListAnswer } from './answer-schemas';
import type { GatewayHandler } from './handler';
import { withGatewayLinks } from './links';
import { jsonResponse } from './responses';

export function listReferralsRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, caller, link }) => {
    const parsed = parseReferralQuery(request.query.entries());
    if (!parsed.ok) throw new Failure('invalidRequest', parsed.error.error);
    const { partnerCenter, engagements } = services();
    const page = await listReferrals(
      { partnerCenter, engagements, log, correlationId, viewer: viewerOf(caller) },
      parsed.query,
      parsed.position,
    );
    const answer: ReferralListAnswer = {
      value: page.referrals.map((referral) => withGatewayLinks(referral, link)),
    };
    if (page.continuation) {
      // The same parameters as this request, with where to continue.
      const next = new URLSearchParams(
        [...request.query.entries()].filter(([name]) => name !== 'continuation'),
      );
      next.set('continuation', page.continuation);
      answer.nextLink = link(`/api/referrals?${next.toString()}`);
    }
    return jsonResponse(200, answer, correlationId);
  };
}
