import { healthRoute } from '../shared/api/health-route';
import { ROUTES } from '../shared/api/route-table';
import { registerRoute } from './http-route';

registerRoute(ROUTES.health, healthRoute());
