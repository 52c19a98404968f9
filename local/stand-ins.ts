/** The local identity provider and Partner Center sandbox together, wired like production. */
import { randomUUID } from 'node:crypto';
import { LocalIdentityProvider, type IdentityProviderOptions } from './identity-provider';
import { PartnerCenterSandbox } from './partner-center-sandbox';
import { trustingFetch } from './tls';

export const PARTNER_CENTER_SCOPE = 'https://api.partner.microsoft.com/.default';
export const PARTNER_CENTER_AUDIENCE = 'https://api.partner.microsoft.com';

export interface LocalPartnerCenter {
  identity: LocalIdentityProvider;
  sandbox: PartnerCenterSandbox;
  clientId: string;
  clientSecret: string;
  /** A fetch that trusts both stand-ins' certificates. */
  fetch: typeof fetch;
  stop(): Promise<void>;
}

export interface StandInOptions extends Omit<IdentityProviderOptions, 'clients'> {
  /** Where the sandbox keeps its referrals between runs; absent: in memory. */
  sandboxStateFile?: string;
}

export async function startLocalPartnerCenter(
  options: StandInOptions = {},
): Promise<LocalPartnerCenter> {
  const { sandboxStateFile, ...identityOptions } = options;
  const clientId = randomUUID();
  const clientSecret = `secret-${randomUUID()}`;
  const identity = await new LocalIdentityProvider({
    ...identityOptions,
    clients: [{ clientId, secret: clientSecret }],
  }).start();
  const sandbox = await new PartnerCenterSandbox({
    identity: { issuer: identity.issuer, audience: PARTNER_CENTER_AUDIENCE, jwks: identity.jwks },
    ...(sandboxStateFile ? { stateFile: sandboxStateFile } : {}),
  }).start();
  return {
    identity,
    sandbox,
    clientId,
    clientSecret,
    fetch: trustingFetch([identity.certificate, sandbox.certificate]),
    stop: async () => {
      await sandbox.stop();
      await identity.stop();
    },
  };
}

/** The gateway's Partner Center settings for these stand-ins, with a freshly issued refresh token. */
export function partnerCenterSettings(local: LocalPartnerCenter): Record<string, string> {
  return {
    PARTNER_CENTER_API_URL: local.sandbox.apiUrl,
    PARTNER_CENTER_AUTHORITY_HOST: local.identity.authorityHost,
    PARTNER_CENTER_TENANT_ID: local.identity.tenantId,
    PARTNER_CENTER_CLIENT_ID: local.clientId,
    PARTNER_CENTER_CLIENT_SECRET: local.clientSecret,
    PARTNER_CENTER_REFRESH_TOKEN: local.identity.issueRefreshToken(local.clientId),
  };
}
