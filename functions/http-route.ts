/** Registers one route of the route table as an HTTP function wrapped by the gateway's handler. */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { httpHandler, type GatewayHandler } from '../shared/api/handler';
import type { NamedRoute } from '../shared/api/route-table';
import { getServices } from './services';

export function registerRoute(
  route: NamedRoute,
  handler: GatewayHandler,
  options: { durableClient?: boolean } = {},
): void {
  app.http(route.name, {
    methods: [route.method],
    route: route.route,
    // Health is anonymous so platform probes reach it; it reveals no secrets or values.
    authLevel: route.permission ? 'function' : 'anonymous',
    ...(options.durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: httpHandler(route, getServices, handler),
  });
}
