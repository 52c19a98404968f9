import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { receivePartnerCenterEventRoute } from '../shared/api/event-routes';
import { ROUTES } from '../shared/api/route-table';
import {
  createSubscriptionRoute,
  deleteSubscriptionRoute,
  getSubscriptionRoute,
  listSubscriptionsRoute,
} from '../shared/api/subscription-routes';
import {
  deliverNotifications,
  matchSubscriptions,
  recordReferralChange,
  type EventActivityDeps,
} from '../shared/application/partner-center-events/activities';
import {
  DELIVER_ACTIVITY,
  EVENT_ORCHESTRATION,
  MATCH_SUBSCRIPTIONS_ACTIVITY,
  RECORD_CHANGE_ACTIVITY,
  type EventInput,
} from '../shared/application/partner-center-events/flow';
import { partnerCenterEventOrchestrator } from '../shared/application/partner-center-events/orchestrator';
import { durableInstances } from '../shared/application/shared-referral/operations';
import { createLogger } from '../shared/logging';
import { registerRoute } from './http-route';
import { getServices } from './services';

const instances = (context: InvocationContext) =>
  durableInstances<EventInput>(df.getClient(context), EVENT_ORCHESTRATION);

registerRoute(ROUTES.receivePartnerCenterEvent, receivePartnerCenterEventRoute(instances), {
  durableClient: true,
});
registerRoute(ROUTES.createSubscription, createSubscriptionRoute());
registerRoute(ROUTES.listSubscriptions, listSubscriptionsRoute());
registerRoute(ROUTES.getSubscription, getSubscriptionRoute());
registerRoute(ROUTES.deleteSubscription, deleteSubscriptionRoute());

df.app.orchestration(EVENT_ORCHESTRATION, partnerCenterEventOrchestrator);

function deps(context: InvocationContext, operation: string): EventActivityDeps {
  const { partnerCenter, engagements, subscriptions, notifications, settings } = getServices();
  return {
    partnerCenter,
    engagements,
    subscriptions,
    callbacks: notifications.callbacks,
    ...(settings.PUBLIC_BASE_URL ? { publicBaseUrl: settings.PUBLIC_BASE_URL } : {}),
    log: createLogger(context, { operation }),
  };
}

df.app.activity(RECORD_CHANGE_ACTIVITY, {
  handler: (input: Parameters<typeof recordReferralChange>[1], context: InvocationContext) =>
    recordReferralChange(deps(context, RECORD_CHANGE_ACTIVITY), input),
});
df.app.activity(MATCH_SUBSCRIPTIONS_ACTIVITY, {
  handler: (input: Parameters<typeof matchSubscriptions>[1], context: InvocationContext) =>
    matchSubscriptions(deps(context, MATCH_SUBSCRIPTIONS_ACTIVITY), input),
});
df.app.activity(DELIVER_ACTIVITY, {
  handler: (input: Parameters<typeof deliverNotifications>[1], context: InvocationContext) =>
    deliverNotifications(deps(context, DELIVER_ACTIVITY), input),
});
