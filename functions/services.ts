/**
 * The composition root: the long-lived collaborators one function app instance shares, built
 * once from the settings. Tests build their own with `createServices`; the consent command uses
 * the same token cache.
 */
import type { INetworkModule } from '@azure/msal-node';
import { callerAuthenticator } from '../shared/adapters/caller/authenticate';
import { reachesPublicAddress } from '../shared/adapters/notifications/callback';
import { PartnerCenterClient, type AttemptEvent } from '../shared/adapters/partner-center/client';
import {
  certificateCredential,
  type ClientCredential,
} from '../shared/adapters/partner-center/msal-config';
import { PartnerCenterTokenProvider } from '../shared/adapters/partner-center/token-provider';
import {
  EventVerifier,
  microsoftRoots,
  pemCertificates,
} from '../shared/adapters/partner-center/event-signature';
import { EngagementStore } from '../shared/adapters/storage/engagement-store';
import { SubscriptionStore } from '../shared/adapters/storage/subscription-store';
import { IdempotencyStore } from '../shared/adapters/storage/idempotency-store';
import { KeyRing } from '../shared/adapters/storage/sealed-text';
import { tableClient } from '../shared/adapters/storage/tables';
import { TableTokenCachePlugin } from '../shared/adapters/storage/token-cache-plugin';
import { PendingWrites } from '../shared/application/after-answer';
import type { IdempotencyPolicy } from '../shared/application/create-referral';
import type { Services } from '../shared/application/services';
import { loadSettings, type Settings } from '../shared/config';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A reservation outlasts the Partner Center deadline by this much before another may take over. */
const LEASE_MARGIN_MS = 30000;

export function idempotencyPolicyFrom(settings: Settings): IdempotencyPolicy {
  return {
    leaseMs: settings.IDEMPOTENCY_LEASE_MS ?? settings.PARTNER_CENTER_DEADLINE_MS + LEASE_MARGIN_MS,
    ttlMs: settings.IDEMPOTENCY_TTL_DAYS * DAY_MS,
    waitMs: settings.IDEMPOTENCY_WAIT_MS,
    pollMs: 200,
    listDelayMs: settings.PARTNER_CENTER_LIST_DELAY_MS,
  };
}

/** The integration user's MSAL cache, sealed with the configured keys, in its table. */
export function tokenCachePlugin(settings: Settings): TableTokenCachePlugin {
  return new TableTokenCachePlugin(
    tableClient(settings, settings.TOKEN_CACHE_TABLE),
    // One cache per app registration and tenant.
    { partitionKey: settings.PARTNER_CENTER_TENANT_ID, rowKey: settings.PARTNER_CENTER_CLIENT_ID },
    new KeyRing(
      settings.TOKEN_CACHE_ENCRYPTION_KEY,
      settings.TOKEN_CACHE_PREVIOUS_KEYS?.split(',') ?? [],
    ),
  );
}

/** Transports that must differ from the defaults (the local stand-ins' certificates, a proxy). */
export interface ServiceOverrides {
  fetch?: typeof fetch;
  networkClient?: INetworkModule;
  onAttempt?: (event: AttemptEvent) => void;
}

/** The integration user's App+User tokens for these scopes (one sign-in, one cache, any API). */
export function tokenProviderFor(
  settings: Settings,
  scopes: string[],
  overrides: Pick<ServiceOverrides, 'networkClient'> = {},
): PartnerCenterTokenProvider {
  const credential: ClientCredential = settings.PARTNER_CENTER_CLIENT_CERTIFICATE
    ? certificateCredential(settings.PARTNER_CENTER_CLIENT_CERTIFICATE)
    : { kind: 'secret', secret: settings.PARTNER_CENTER_CLIENT_SECRET ?? '' };
  return new PartnerCenterTokenProvider({
    clientId: settings.PARTNER_CENTER_CLIENT_ID,
    tenantId: settings.PARTNER_CENTER_TENANT_ID,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    credential,
    scopes,
    cachePlugin: tokenCachePlugin(settings),
    ...(settings.PARTNER_CENTER_REFRESH_TOKEN
      ? { initialRefreshToken: settings.PARTNER_CENTER_REFRESH_TOKEN }
      : {}),
    ...(settings.PARTNER_CENTER_USERNAME ? { username: settings.PARTNER_CENTER_USERNAME } : {}),
    ...(overrides.networkClient ? { networkClient: overrides.networkClient } : {}),
    // Best effort: the caller hears partnerCenterConsentRequired whatever happens here.
    onSignInLost: () => tokenCachePlugin(settings).recordSignInLost(new Date()),
  });
}

export function createServices(settings: Settings, overrides: ServiceOverrides = {}): Services {
  const tokens = tokenProviderFor(settings, [settings.PARTNER_CENTER_SCOPE], overrides);
  const partnerCenter = new PartnerCenterClient({
    baseUrl: settings.PARTNER_CENTER_API_URL,
    tokens,
    retry: {
      maxAttempts: settings.PARTNER_CENTER_MAX_ATTEMPTS,
      deadlineMs: settings.PARTNER_CENTER_DEADLINE_MS,
      attemptTimeoutMs: settings.PARTNER_CENTER_ATTEMPT_TIMEOUT_MS,
    },
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(overrides.onAttempt ? { onAttempt: overrides.onAttempt } : {}),
  });
  return {
    settings,
    partnerCenter,
    tokens,
    idempotency: new IdempotencyStore(tableClient(settings, settings.IDEMPOTENCY_TABLE)),
    idempotencyPolicy: idempotencyPolicyFrom(settings),
    afterAnswer: new PendingWrites(),
    stepRetry: {
      maxAttempts: settings.SHARED_STEP_MAX_ATTEMPTS,
      firstDelayMs: settings.SHARED_STEP_RETRY_MS,
      // Doubling from the first wait, never more than a minute apart (or the first, if longer).
      maxDelayMs: Math.max(settings.SHARED_STEP_RETRY_MS, 60000),
    },
    engagements: new EngagementStore(tableClient(settings, settings.ENGAGEMENT_TABLE)),
    callers: callerAuthenticator(settings, overrides.fetch),
    signIn: {
      lastRenewedAt: () => tokenCachePlugin(settings).lastWrittenAt(),
      lostAt: () => tokenCachePlugin(settings).signInLostAt(),
    },
    events: eventVerifier(settings, overrides.fetch),
    subscriptions: new SubscriptionStore(tableClient(settings, settings.SUBSCRIPTION_TABLE)),
    notifications: {
      callbacks: { allowLoopback: settings.NOTIFICATION_ALLOW_LOOPBACK },
      maxAttempts: settings.NOTIFICATION_MAX_ATTEMPTS,
      firstDelayMs: settings.NOTIFICATION_RETRY_MS,
    },
  };
}

/** Trust for Partner Center's events: the configured roots, else Microsoft's. */
export function eventVerifier(settings: Settings, fetchImpl?: typeof fetch): EventVerifier {
  const addresses = { allowLoopback: settings.NOTIFICATION_ALLOW_LOOPBACK };
  const roots = settings.PARTNER_CENTER_EVENT_TRUSTED_ROOTS;
  const intermediates = settings.PARTNER_CENTER_EVENT_INTERMEDIATES;
  const hosts = settings.PARTNER_CENTER_EVENT_CERTIFICATE_HOSTS;
  return new EventVerifier({
    trustedRoots: roots ? pemCertificates(roots) : microsoftRoots(),
    ...(intermediates ? { intermediates: pemCertificates(intermediates) } : {}),
    issuerOrganization: settings.PARTNER_CENTER_EVENT_ISSUER_ORGANIZATION,
    ...(hosts ? { certificateHosts: hosts.split(',').map((h) => h.trim()) } : {}),
    mayFetch: (url) => reachesPublicAddress(url, addresses),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

let current: Services | undefined;

/** The app's services, built on first use; a ConfigurationError names every bad setting. */
export function getServices(): Services {
  current ??= createServices(loadSettings());
  return current;
}
