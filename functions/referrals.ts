import { app } from '@azure/functions';
import { createReferralRoute, getReferralRoute } from '../shared/gateway/referral-routes';
import { httpHandler } from '../shared/http/handler';

app.http('createReferral', {
  methods: ['POST'],
  route: 'referrals',
  authLevel: 'function',
  handler: httpHandler('createReferral', createReferralRoute()),
});

app.http('getReferral', {
  methods: ['GET'],
  route: 'referrals/{id}',
  authLevel: 'function',
  handler: httpHandler('getReferral', getReferralRoute()),
});
