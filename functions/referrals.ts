import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableOrchestrations } from '../shared/application/shared-referral/operations';
import { getEngagementRoute, getOperationRoute } from '../shared/api/operation-routes';
import { createReferralRoute, getReferralRoute } from '../shared/api/referral-routes';
import { ROUTES } from '../shared/api/route-table';
import { httpHandler } from '../shared/api/handler';
import { getServices } from './services';

const orchestrations = (context: InvocationContext) => durableOrchestrations(df.getClient(context));

const { createReferral, getReferral, getReferralOperation, getEngagement } = ROUTES;

app.http('createReferral', {
  methods: [createReferral.method],
  route: createReferral.route,
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: httpHandler('createReferral', createReferralRoute(getServices, orchestrations), {
    permission: createReferral.permission,
  }),
});

app.http('getReferral', {
  methods: [getReferral.method],
  route: getReferral.route,
  authLevel: 'function',
  handler: httpHandler('getReferral', getReferralRoute(), { permission: getReferral.permission }),
});

app.http('getReferralOperation', {
  methods: [getReferralOperation.method],
  route: getReferralOperation.route,
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: httpHandler('getReferralOperation', getOperationRoute(orchestrations), {
    permission: getReferralOperation.permission,
  }),
});

app.http('getEngagement', {
  methods: [getEngagement.method],
  route: getEngagement.route,
  authLevel: 'function',
  handler: httpHandler('getEngagement', getEngagementRoute(), {
    permission: getEngagement.permission,
  }),
});
