/**
 * The gateway's HTTP routes wired like production (settings, MSAL, Table Storage) against the
 * local identity provider, the Partner Center sandbox and Azurite, invoked with the real
 * `HttpRequest` and `InvocationContext` classes of `@azure/functions`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { loadSettings } from '../../shared/config';
import { createReferralRoute, getReferralRoute } from '../../shared/api/referral-routes';
import { getEngagementRoute, getOperationRoute } from '../../shared/api/operation-routes';
import {
  createMicrosoftReferralStep,
  createPartnerReferralStep,
} from '../../shared/application/shared-referral/activities';
import {
  MICROSOFT_REFERRAL_ACTIVITY,
  PARTNER_REFERRAL_ACTIVITY,
  type StepInput,
} from '../../shared/application/shared-referral/flow';
import { createLogger } from '../../shared/logging';
import { InProcessOrchestrations } from './durable-driver';
import { healthRoute } from '../../shared/api/health-route';
import { httpHandler, type GatewayHandler, type RouteAccess } from '../../shared/api/handler';
import { fetchNetworkModule } from '../../shared/adapters/partner-center/msal-network';
import { createServices, type Services } from '../../functions/services';
import {
  partnerCenterSettings,
  startLocalPartnerCenter,
  type LocalPartnerCenter,
} from '../../local/stand-ins';

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
  /** Shared referral operations, run in-process by the real orchestrator and activities. */
  orchestrations: InProcessOrchestrations;
  createReferral(body: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** A raw body, for the tests of bad JSON and content types. */
  postRaw(body: string | Uint8Array, headers: Record<string, string>): Promise<Answer>;
  getReferral(id: string): Promise<Answer>;
  getOperation(operationId: string, headers?: Record<string, string>): Promise<Answer>;
  getEngagement(engagementId: string, refresh?: boolean): Promise<Answer>;
  health(): Promise<Answer>;
  stop(): Promise<void>;
}

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
    ...partnerCenterSettings(local),
    AzureWebJobsStorage: connectionString,
    TOKEN_CACHE_TABLE: `tokens${unique()}`,
    IDEMPOTENCY_TABLE: `idem${unique()}`,
    TOKEN_CACHE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The sandbox is the upstream, so running without caller authentication is allowed; the
    // caller tests and the end-to-end tests use Entra tokens.
    AUTH_MODE: 'none',
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

export async function invoke(
  route: GatewayHandler,
  request: HttpRequest,
  logs: string[],
  access: RouteAccess = {},
): Promise<Answer> {
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'test',
    logHandler: (level, ...args) => logs.push(`${level} ${args.map(text).join(' ')}`),
  });
  const response: HttpResponseInit = await httpHandler('test', route, access)(request, context);
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
  const env = gatewayEnv(local, settings);
  const services = servicesFor(local, env);
  const logs: string[] = [];
  const provide = () => services;
  const stepDeps = () => ({
    partnerCenter: services.partnerCenter,
    engagements: services.engagements,
    log: createLogger({ info: () => undefined, warn: () => undefined, error: () => undefined }),
  });
  const orchestrations = new InProcessOrchestrations({
    [PARTNER_REFERRAL_ACTIVITY]: (input) =>
      createPartnerReferralStep(stepDeps(), input as StepInput),
    [MICROSOFT_REFERRAL_ACTIVITY]: (input) =>
      createMicrosoftReferralStep(stepDeps(), input as StepInput),
  });
  const create = createReferralRoute(provide, () => orchestrations);
  const read: RouteAccess = { permission: 'Referrals.Read', services: provide };
  const get = (
    route: GatewayHandler,
    path: string,
    params: Record<string, string>,
    query = {},
    headers: Record<string, string> = {},
  ) =>
    invoke(
      route,
      new HttpRequest({
        method: 'GET',
        url: `https://gateway.local/api/${path}`,
        params,
        query,
        headers,
      }),
      logs,
      read,
    );
  const post = (body: string | Uint8Array, headers: Record<string, string>) =>
    invoke(
      create,
      new HttpRequest({
        method: 'POST',
        url: 'https://gateway.local/api/referrals',
        headers,
        body: typeof body === 'string' ? { string: body } : { bytes: body },
      }),
      logs,
      { permission: 'Referrals.Create', services: provide },
    );
  return {
    local,
    services,
    logs,
    orchestrations,
    createReferral: (body, headers = {}) =>
      post(JSON.stringify(body), { 'content-type': 'application/json', ...headers }),
    postRaw: post,
    getReferral: (id) =>
      invoke(
        getReferralRoute(provide),
        new HttpRequest({
          method: 'GET',
          url: `https://gateway.local/api/referrals/${encodeURIComponent(id)}`,
          params: { id },
        }),
        logs,
        read,
      ),
    getOperation: (operationId, headers = {}) =>
      get(
        getOperationRoute(() => orchestrations),
        `referrals/operations/${operationId}`,
        { operationId },
        {},
        headers,
      ),
    getEngagement: (engagementId, refresh = false) =>
      get(
        getEngagementRoute(provide),
        `engagements/${engagementId}`,
        { engagementId },
        refresh ? { refresh: 'true' } : {},
      ),
    health: () =>
      invoke(
        healthRoute(provide),
        new HttpRequest({ method: 'GET', url: 'https://gateway.local/api/health' }),
        logs,
      ),
    stop: async () => undefined,
  };
}
