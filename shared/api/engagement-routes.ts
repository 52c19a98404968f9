/** An engagement as Partner Center has it, with what the gateway recorded about it. */
import { readEngagement } from '../application/read-referrals';
import { viewerOf } from '../contract/caller';
import type { GatewayHandler } from './handler';
import { withGatewayLinks } from './links';
import { jsonResponse } from './responses';

export function getEngagementRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, caller, link }) => {
    const { partnerCenter, engagements } = services();
    const engagement = await readEngagement(
      { partnerCenter, engagements, log, correlationId, viewer: viewerOf(caller) },
      request.params.engagementId ?? '',
    );
    const referrals = engagement.referrals.map((entry) =>
      entry.referral ? { ...entry, referral: withGatewayLinks(entry.referral, link) } : entry,
    );
    return jsonResponse(200, { ...engagement, referrals }, correlationId);
  };
}
