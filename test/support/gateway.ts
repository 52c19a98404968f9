/**
 * The gateway's HTTP routes wired like production (settings, MSAL, Table Storage) against the
 * local identity provider, the Partner Center sandbox and Azurite, invoked with the real
 * `HttpRequest` and `InvocationContext` classes of `@azure/functions`. Shared referral operations
 * go to an orchestration client stub (the flow is tested on its own and through the local host).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { createServices } from '../../functions/services';
import { getEngagementRoute } from '../../shared/api/engagement-routes';
import { httpHandler, type GatewayHandler } from '../../shared/api/handler';
import { healthRoute } from '../../shared/api/health-route';
import { getOperationRoute } from '../../shared/api/operation-routes';
import {
  createReferralRoute,
  followCreateRoute,
  getReferralRoute,
} from '../../shared/api/referral-routes';
import { receivePartnerCenterEventRoute } from '../../shared/api/event-routes';
import { listReferralsRoute } from '../../shared/api/list-route';
import {
  createSubscriptionRoute,
  deleteSubscriptionRoute,
  getSubscriptionRoute,
} from '../../shared/api/subscription-routes';
import type { EventInput } from '../../shared/application/partner-center-events/flow';
import { ROUTES, type NamedRoute, type RouteName } from '../../shared/api/route-table';
import { referralActionRoute, updateReferralRoute } from '../../shared/api/update-routes';
import type { ReferralAction } from '../../shared/contract/referral-actions';
import { fetchNetworkModule } from '../../shared/adapters/partner-center/msal-network';
import type { Services } from '../../shared/application/services';
import { loadSettings } from '../../shared/config';
import { standInSettings } from '../../local/launcher';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../local/stand-ins';
import { OrchestrationsStub } from './orchestrations-stub';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface LocalGateway {
  local: LocalPartnerCenter;
  services: Services;
  /** Every log line written through the invocation contexts, as written. */
  logs: string[];
  /** The orchestration client the shared referral routes use. */
  orchestrations: OrchestrationsStub;
  createReferral(body: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** A raw body, for the tests of bad JSON and content types. */
  postRaw(body: string | Uint8Array, headers: Record<string, string>): Promise<Answer>;
  getReferral(id: string, headers?: Record<string, string>): Promise<Answer>;
  getOperation(operationId: string, headers?: Record<string, string>): Promise<Answer>;
  /** Follows a create's 202 Location (`/api/referrals/requests/{requestId}`). */
  followCreate(location: string, headers?: Record<string, string>): Promise<Answer>;
  getEngagement(engagementId: string, headers?: Record<string, string>): Promise<Answer>;
  listReferrals(query?: Record<string, string>, headers?: Record<string, string>): Promise<Answer>;
  /** `PATCH /api/referrals/{id}` with a JSON Patch (sent as given). */
  updateReferral(id: string, patch: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** `POST /api/referrals/{id}/{action}`; no body when `body` is undefined. */
  act(
    action: ReferralAction,
    id: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  health(): Promise<Answer>;
  /** The Partner Center event instances the events route starts. */
  events: OrchestrationsStub<EventInput>;
  /** `POST /api/partner-center/events` with a raw body and headers. */
  postEvent(body: Buffer, headers: Record<string, string>): Promise<Answer>;
  subscribe(body: unknown, headers?: Record<string, string>): Promise<Answer>;
  getSubscription(id: string, headers?: Record<string, string>): Promise<Answer>;
  deleteSubscription(id: string, headers?: Record<string, string>): Promise<Answer>;
  stop(): Promise<void>;
}

const ACTION_ROUTES: Record<ReferralAction, RouteName> = {
  close: 'closeReferral',
  accept: 'acceptReferral',
  decline: 'declineReferral',
  registerDeal: 'registerDeal',
};

/** The error envelope's body of an answer. */
export const errorOf = (answer: Answer) =>
  (answer.body as { error: { code: string; message: string; details: { path: string }[] } }).error;

const unique = () => randomBytes(5).toString('hex');

export function gatewayEnv(
  local: LocalPartnerCenter,
  extra: Record<string, string> = {},
): Record<string, string> {
  const connectionString = extra.AzureWebJobsStorage ?? process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString) throw new Error('Azurite is not running (jest globalSetup)');
  return {
    // The sandbox is the upstream, so running without caller authentication is allowed; the
    // caller tests and the end-to-end tests use Entra tokens.
    ...standInSettings(local, 'none'),
    AzureWebJobsStorage: connectionString,
    TOKEN_CACHE_TABLE: `tokens${unique()}`,
    IDEMPOTENCY_TABLE: `idem${unique()}`,
    ENGAGEMENT_TABLE: `eng${unique()}`,
    ...extra,
  };
}

export function servicesFor(local: LocalPartnerCenter, env: Record<string, string>): Services {
  return createServices(loadSettings(env), {
    fetch: local.fetch,
    networkClient: fetchNetworkModule(local.fetch),
  });
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One request through the gateway's handler, as the Functions host would make it. */
export async function invoke(
  route: NamedRoute,
  handler: GatewayHandler,
  request: HttpRequest,
  logs: string[],
  services: () => Services,
): Promise<Answer> {
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: route.name,
    logHandler: (level, ...args) => logs.push(`${level} ${args.map(text).join(' ')}`),
  });
  const response: HttpResponseInit = await httpHandler(route, services, handler)(request, context);
  return {
    status: response.status ?? 200,
    headers: Object.fromEntries(
      Object.entries((response.headers ?? {}) as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    ),
    body: response.jsonBody,
  };
}

export async function startLocalGateway(
  settings: Record<string, string> = {},
): Promise<LocalGateway> {
  const local = await startLocalPartnerCenter();
  const gateway = gatewayOn(local, settings);
  return { ...gateway, stop: () => local.stop() };
}

/** Another gateway (own settings and tables) in front of already running stand-ins. */
export function gatewayOn(
  local: LocalPartnerCenter,
  settings: Record<string, string> = {},
): LocalGateway {
  const services = servicesFor(local, gatewayEnv(local, settings));
  const logs: string[] = [];
  const orchestrations = new OrchestrationsStub();
  const events = new OrchestrationsStub<EventInput>();
  const gateway: LocalGateway = {
    local,
    services,
    logs,
    orchestrations,
    createReferral: (body, headers = {}) =>
      gateway.postRaw(JSON.stringify(body), { 'content-type': 'application/json', ...headers }),
    postRaw: (body, headers) =>
      invoke(
        ROUTES.createReferral,
        createReferralRoute(() => orchestrations),
        new HttpRequest({
          method: 'POST',
          url: 'https://gateway.local/api/referrals',
          headers,
          body: typeof body === 'string' ? { string: body } : { bytes: body },
        }),
        logs,
        () => gateway.services,
      ),
    getReferral: (id, headers = {}) =>
      get(
        ROUTES.getReferral,
        getReferralRoute(),
        `referrals/${encodeURIComponent(id)}`,
        { id },
        {},
        headers,
      ),
    getOperation: (operationId, headers = {}) =>
      get(
        ROUTES.getReferralOperation,
        getOperationRoute(() => orchestrations),
        `referrals/operations/${operationId}`,
        { operationId },
        {},
        headers,
      ),
    followCreate: (location, headers = {}) => {
      const requestId = decodeURIComponent(location.split('/').pop() ?? '');
      return get(
        ROUTES.followCreateRequest,
        followCreateRoute(),
        `referrals/requests/${requestId}`,
        { requestId },
        {},
        headers,
      );
    },
    getEngagement: (engagementId, headers = {}) =>
      get(
        ROUTES.getEngagement,
        getEngagementRoute(),
        `engagements/${engagementId}`,
        { engagementId },
        {},
        headers,
      ),
    listReferrals: (query = {}, headers = {}) =>
      get(ROUTES.listReferrals, listReferralsRoute(), 'referrals', {}, query, headers),
    updateReferral: (id, patch, headers = {}) =>
      send(ROUTES.updateReferral, updateReferralRoute(), `referrals/${id}`, { id }, patch, {
        'content-type': 'application/json',
        ...headers,
      }),
    act: (action, id, body, headers = {}) =>
      send(
        ROUTES[ACTION_ROUTES[action]],
        referralActionRoute(action),
        `referrals/${id}/${ACTION_ROUTES[action] === 'registerDeal' ? 'registrations' : action}`,
        { id },
        body,
        body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ),
    health: () => get(ROUTES.health, healthRoute(), 'health', {}),
    events,
    postEvent: (body, headers) =>
      invoke(
        ROUTES.receivePartnerCenterEvent,
        receivePartnerCenterEventRoute(() => events),
        new HttpRequest({
          method: 'POST',
          url: 'https://gateway.local/api/partner-center/events',
          headers,
          body: { bytes: body },
        }),
        logs,
        () => gateway.services,
      ),
    subscribe: (body, headers = {}) =>
      send(ROUTES.createSubscription, createSubscriptionRoute(), 'subscriptions', {}, body, {
        'content-type': 'application/json',
        ...headers,
      }),
    getSubscription: (id, headers = {}) =>
      get(
        ROUTES.getSubscription,
        getSubscriptionRoute(),
        `subscriptions/${id}`,
        { subscriptionId: id },
        {},
        headers,
      ),
    deleteSubscription: (id, headers = {}) =>
      send(
        ROUTES.deleteSubscription,
        deleteSubscriptionRoute(),
        `subscriptions/${id}`,
        { subscriptionId: id },
        undefined,
        headers,
      ),
    stop: async () => undefined,
  };
  /** A request with a JSON body (or none), by the route's own method. */
  const send = (
    route: NamedRoute,
    handler: GatewayHandler,
    path: string,
    params: Record<string, string>,
    body: unknown,
    headers: Record<string, string>,
  ) =>
    invoke(
      route,
      handler,
      new HttpRequest({
        method: route.method,
        url: `https://gateway.local/api/${path}`,
        params,
        headers,
        ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
      }),
      logs,
      () => gateway.services,
    );
  const get = (
    route: NamedRoute,
    handler: GatewayHandler,
    path: string,
    params: Record<string, string>,
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) =>
    invoke(
      route,
      handler,
      new HttpRequest({
        method: 'GET',
        url: `https://gateway.local/api/${path}`,
        params,
        query,
        headers,
      }),
      logs,
      () => gateway.services,
    );
  return gateway;
}
