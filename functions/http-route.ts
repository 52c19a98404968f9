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
    // No function key: every route but health requires an Entra ID access token, checked in the
    // handler, and a static key a connector would have to carry is a secret anyone who can
    // export the connector reads. Health reveals no secrets or values.
    authLevel: 'anonymous',
    ...(options.durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: httpHandler(route, getServices, handler),
  });
}
