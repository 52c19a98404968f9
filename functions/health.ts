import { app } from '@azure/functions';
import { healthRoute } from '../shared/gateway/health';
import { httpHandler } from '../shared/http/handler';

// Anonymous so platform probes can reach it; it reveals no secrets or values.
app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: httpHandler('health', healthRoute()),
});
