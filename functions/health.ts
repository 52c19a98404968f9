import { app } from '@azure/functions';
import { healthRoute } from '../shared/gateway/health';
import { ROUTES } from '../shared/gateway/route-table';
import { httpHandler } from '../shared/http/handler';

// Anonymous so platform probes can reach it; it reveals no secrets or values.
app.http('health', {
  methods: [ROUTES.health.method],
  route: ROUTES.health.route,
  authLevel: 'anonymous',
  handler: httpHandler('health', healthRoute()),
});
