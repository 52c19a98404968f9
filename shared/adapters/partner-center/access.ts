/** Builds Partner Center access (token provider and client) from the settings. */
import { X509Certificate } from 'node:crypto';
import type { INetworkModule } from '@azure/msal-node';
import type { Settings } from '../../config';
import { KeyRing } from '../storage/sealed-text';
import { tableClient } from '../storage/tables';
import { TableTokenCachePlugin, type TokenCacheEntityKey } from '../storage/token-cache-plugin';
import { PartnerCenterClient, type PartnerCenterClientOptions } from './client';
import { PartnerCenterTokenProvider, type ClientCredential } from './token-provider';

/** Where the integration user's MSAL cache is kept; one per app registration and tenant. */
export function tokenCacheKey(settings: Settings): TokenCacheEntityKey {
  return {
    partitionKey: settings.PARTNER_CENTER_TENANT_ID,
    rowKey: settings.PARTNER_CENTER_CLIENT_ID,
  };
}

/** The keys the token cache is sealed with: the current one and any earlier ones. */
export function tokenCacheKeyRing(settings: Settings): KeyRing {
  return new KeyRing(
    settings.TOKEN_CACHE_ENCRYPTION_KEY,
    settings.TOKEN_CACHE_PREVIOUS_KEYS?.split(',') ?? [],
  );
}

/** A PEM holding the certificate and its private key, as Key Vault exports it. */
export function certificateCredential(pem: string): ClientCredential {
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const privateKey =
    /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(
      pem,
    )?.[0];
  if (!certificate || !privateKey) {
    throw new Error(
      'PARTNER_CENTER_CLIENT_CERTIFICATE must be a PEM with a certificate and its private key',
    );
  }
  const x509 = new X509Certificate(certificate);
  return {
    kind: 'certificate',
    privateKeyPem: privateKey,
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    x5c: x509.raw.toString('base64'),
  };
}

export interface AccessOverrides {
  fetch?: typeof fetch;
  networkClient?: INetworkModule;
  onAttempt?: PartnerCenterClientOptions['onAttempt'];
}

export function createPartnerCenterAccess(settings: Settings, overrides: AccessOverrides = {}) {
  const credential: ClientCredential = settings.PARTNER_CENTER_CLIENT_CERTIFICATE
    ? certificateCredential(settings.PARTNER_CENTER_CLIENT_CERTIFICATE)
    : { kind: 'secret', secret: settings.PARTNER_CENTER_CLIENT_SECRET ?? '' };
  const tokens = new PartnerCenterTokenProvider({
    clientId: settings.PARTNER_CENTER_CLIENT_ID,
    tenantId: settings.PARTNER_CENTER_TENANT_ID,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    credential,
    scopes: [settings.PARTNER_CENTER_SCOPE],
    cachePlugin: new TableTokenCachePlugin(
      tableClient(settings, settings.TOKEN_CACHE_TABLE),
      tokenCacheKey(settings),
      tokenCacheKeyRing(settings),
    ),
    ...(settings.PARTNER_CENTER_REFRESH_TOKEN
      ? { initialRefreshToken: settings.PARTNER_CENTER_REFRESH_TOKEN }
      : {}),
    ...(settings.PARTNER_CENTER_USERNAME ? { username: settings.PARTNER_CENTER_USERNAME } : {}),
    ...(overrides.networkClient ? { networkClient: overrides.networkClient } : {}),
  });
  const client = new PartnerCenterClient({
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
  return { tokens, client };
}
