import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { getEngagementRoute } from '../shared/api/engagement-routes';
import { getOperationRoute } from '../shared/api/operation-routes';
import {
  createReferralRoute,
  followCreateRoute,
  getReferralRoute,
} from '../shared/api/referral-routes';
import { listReferralsRoute } from '../shared/api/list-route';
import { ROUTES } from '../shared/api/route-table';
import { referralActionRoute, updateReferralRoute } from '../shared/api/update-routes';
import { durableOrchestrations } from '../shared/application/shared-referral/operations';
import { registerRoute } from './http-route';

const orchestrations = (context: InvocationContext) => durableOrchestrations(df.getClient(context));

registerRoute(ROUTES.createReferral, createReferralRoute(orchestrations), { durableClient: true });
registerRoute(ROUTES.getReferral, getReferralRoute());
registerRoute(ROUTES.followCreateRequest, followCreateRoute());
registerRoute(ROUTES.getReferralOperation, getOperationRoute(orchestrations), {
  durableClient: true,
});
registerRoute(ROUTES.getEngagement, getEngagementRoute());
registerRoute(ROUTES.listReferrals, listReferralsRoute());
registerRoute(ROUTES.updateReferral, updateReferralRoute());
registerRoute(ROUTES.closeReferral, referralActionRoute('close'));
registerRoute(ROUTES.acceptReferral, referralActionRoute('accept'));
registerRoute(ROUTES.declineReferral, referralActionRoute('decline'));
registerRoute(ROUTES.registerDeal, referralActionRoute('registerDeal'));
