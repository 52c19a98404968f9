import { app } from '@azure/functions';
import { httpHandler } from '../shared/api/handler';
import { ALL_METHODS, UNKNOWN_ROUTE, unknownRoute } from '../shared/api/unknown-route';
import { getServices } from './services';

// The lowest-precedence route: whatever no other route takes gets an answer in the envelope.
app.http(UNKNOWN_ROUTE.name, {
  methods: [...ALL_METHODS],
  route: UNKNOWN_ROUTE.route,
  authLevel: 'anonymous',
  handler: httpHandler(UNKNOWN_ROUTE, getServices, unknownRoute()),
});
