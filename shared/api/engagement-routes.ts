/** The engagements this gateway recorded, with their referrals' current status on request. */
import { readEngagement } from '../application/read-referrals';
import { viewerOf } from '../contract/caller';
import type { GatewayHandler } from './handler';
import { jsonResponse } from './responses';

export function getEngagementRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, caller }) => {
    const { partnerCenter, engagements } = services();
    const engagement = await readEngagement(
      { partnerCenter, engagements, log, correlationId, viewer: viewerOf(caller) },
      request.params.engagementId ?? '',
      request.query.get('refresh') === 'true',
    );
    return jsonResponse(200, engagement, correlationId);
  };
}
