/**
 * The composition root: the long-lived collaborators one function app instance shares, built
 * once from the settings. Tests and the local host build their own with `createServices`.
 */
import type { TableClient } from '@azure/data-tables';
import {
  callerAuthenticator,
  type CallerAuthenticator,
} from '../shared/adapters/caller/authenticate';
import { loadSettings, type Settings } from '../shared/config';
import type { IdempotencyPolicy } from '../shared/application/create-referral';
import {
  createPartnerCenterAccess,
  type AccessOverrides,
} from '../shared/adapters/partner-center/access';
import type { PartnerCenterClient } from '../shared/adapters/partner-center/client';
import type { PartnerCenterTokenProvider } from '../shared/adapters/partner-center/token-provider';
import { EngagementStore } from '../shared/adapters/storage/engagement-store';
import { IdempotencyStore } from '../shared/adapters/storage/idempotency-store';
import { tableClient } from '../shared/adapters/storage/tables';

export interface Services {
  settings: Settings;
  partnerCenter: PartnerCenterClient;
  tokens: PartnerCenterTokenProvider;
  idempotency: IdempotencyStore;
  idempotencyTable: TableClient;
  idempotencyPolicy: IdempotencyPolicy;
  engagements: EngagementStore;
  /** Proves who is calling (Entra ID tokens, or no one with AUTH_MODE none). */
  callers: CallerAuthenticator;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A reservation outlasts the Partner Center deadline by this much before another may take over. */
const LEASE_MARGIN_MS = 30000;

export function idempotencyPolicyFrom(settings: Settings): IdempotencyPolicy {
  return {
    leaseMs: settings.IDEMPOTENCY_LEASE_MS ?? settings.PARTNER_CENTER_DEADLINE_MS + LEASE_MARGIN_MS,
    ttlMs: settings.IDEMPOTENCY_TTL_DAYS * DAY_MS,
    waitMs: settings.IDEMPOTENCY_WAIT_MS,
    pollMs: 200,
  };
}

export function createServices(settings: Settings, overrides: AccessOverrides = {}): Services {
  const { client, tokens } = createPartnerCenterAccess(settings, overrides);
  const idempotencyTable = tableClient(settings, settings.IDEMPOTENCY_TABLE);
  return {
    settings,
    partnerCenter: client,
    tokens,
    idempotency: new IdempotencyStore(idempotencyTable),
    idempotencyTable,
    idempotencyPolicy: idempotencyPolicyFrom(settings),
    engagements: new EngagementStore(tableClient(settings, settings.ENGAGEMENT_TABLE)),
    callers: callerAuthenticator(settings, overrides.fetch),
  };
}

let current: Services | undefined;

/** The app's services, built on first use; a ConfigurationError names every bad setting. */
export function getServices(): Services {
  current ??= createServices(loadSettings());
  return current;
}

/** Replaces the app's services (the local host wires its stand-ins in this way). */
export function setServices(services: Services | undefined): void {
  current = services;
}
