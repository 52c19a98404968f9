import { app } from '@azure/functions';
import { healthRoute } from '../shared/api/health-route';
import { ROUTES } from '../shared/api/route-table';
import { httpHandler } from '../shared/api/handler';

// Anonymous so platform probes can reach it; it reveals no secrets or values.
app.http('health', {
  methods: [ROUTES.health.method],
  route: ROUTES.health.route,
  authLevel: 'anonymous',
  handler: httpHandler('health', healthRoute()),
});
