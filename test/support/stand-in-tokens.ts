import { fetchNetworkModule } from '../../shared/adapters/partner-center/msal-network';
import type { TokenProviderOptions } from '../../shared/adapters/partner-center/token-provider';
import { PARTNER_CENTER_SCOPE, type LocalPartnerCenter } from '../../local/stand-ins';

/** The token provider's options for the stand-ins' app registration (secret, scope, transport). */
export function standInTokenOptions(local: LocalPartnerCenter): TokenProviderOptions {
  return {
    clientId: local.clientId,
    tenantId: local.identity.tenantId,
    authorityHost: local.identity.authorityHost,
    credential: { kind: 'secret', secret: local.clientSecret },
    scopes: [PARTNER_CENTER_SCOPE],
    networkClient: fetchNetworkModule(local.fetch),
  };
}
