import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  listOperationsRoute,
  listParkedRoute,
  redriveEventRoute,
  redriveNotificationRoute,
  redriveOperationRoute,
  type AdminInstances,
} from '../shared/api/admin-routes';
import { ROUTES } from '../shared/api/route-table';
import {
  EVENT_ORCHESTRATION,
  type EventInput,
} from '../shared/application/partner-center-events/flow';
import { SHARED_REFERRAL_ORCHESTRATION } from '../shared/application/shared-referral/flow';
import { durableInstances } from '../shared/application/shared-referral/operations';
import { registerRoute } from './http-route';

const instances = (context: InvocationContext): AdminInstances => {
  const client = df.getClient(context);
  return {
    operations: durableInstances(client, SHARED_REFERRAL_ORCHESTRATION),
    events: durableInstances<EventInput>(client, EVENT_ORCHESTRATION),
  };
};
const durable = { durableClient: true };

registerRoute(ROUTES.listOperations, listOperationsRoute(instances), durable);
registerRoute(ROUTES.redriveOperation, redriveOperationRoute(instances), durable);
registerRoute(ROUTES.listParked, listParkedRoute(instances), durable);
registerRoute(ROUTES.redriveEvent, redriveEventRoute(instances), durable);
registerRoute(ROUTES.redriveNotification, redriveNotificationRoute(instances), durable);
