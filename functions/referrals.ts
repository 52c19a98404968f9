import { app, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableOrchestrations } from '../shared/engagement/operations';
import { getEngagementRoute, getOperationRoute } from '../shared/gateway/operation-routes';
import { createReferralRoute, getReferralRoute } from '../shared/gateway/referral-routes';
import { httpHandler } from '../shared/http/handler';
import { getServices } from '../shared/services';

const orchestrations = (context: InvocationContext) => durableOrchestrations(df.getClient(context));

app.http('createReferral', {
  methods: ['POST'],
  route: 'referrals',
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: httpHandler('createReferral', createReferralRoute(getServices, orchestrations), {
    permission: 'Referrals.Create',
  }),
});

app.http('getReferral', {
  methods: ['GET'],
  route: 'referrals/{id}',
  authLevel: 'function',
  handler: httpHandler('getReferral', getReferralRoute(), { permission: 'Referrals.Read' }),
});

app.http('getReferralOperation', {
  methods: ['GET'],
  route: 'referrals/operations/{operationId}',
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: httpHandler('getReferralOperation', getOperationRoute(orchestrations), {
    permission: 'Referrals.Read',
  }),
});

app.http('getEngagement', {
  methods: ['GET'],
  route: 'engagements/{engagementId}',
  authLevel: 'function',
  handler: httpHandler('getEngagement', getEngagementRoute(), { permission: 'Referrals.Read' }),
});
