/** The engagements this gateway recorded, with their referrals' current status on request. */
import { readEngagement } from '../application/read-referrals';
import type { GatewayHandler } from './handler';
import { jsonResponse } from './responses';

export function getEngagementRoute(): GatewayHandler {
  return async (request, { correlationId, log, services }) => {
    const { partnerCenter, engagements } = services();
    const engagement = await readEngagement(
      { partnerCenter, engagements, log, correlationId },
      request.params.engagementId ?? '',
      request.query.get('refresh') === 'true',
    );
    return jsonResponse(200, engagement, correlationId);
  };
}
