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

export async function startLocalPartnerCenter(
  options: Omit<IdentityProviderOptions, 'clients'> = {},
): Promise<LocalPartnerCenter> {
  const clientId = randomUUID();
  const clientSecret = `secret-${randomUUID()}`;
  const identity = await new LocalIdentityProvider({
    ...options,
    clients: [{ clientId, secret: clientSecret }],
  }).start();
  const sandbox = await new PartnerCenterSandbox({
    identity: { issuer: identity.issuer, audience: PARTNER_CENTER_AUDIENCE, jwks: identity.jwks },
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
