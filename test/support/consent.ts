/**
 * `npm run consent` as the operator runs it, into the app's token cache, with the device code
 * approved by the integration user in the local identity provider.
 */
import { tokenCachePlugin } from '../../functions/services';
import { runConsent } from '../../shared/adapters/partner-center/consent';
import { fetchNetworkModule } from '../../shared/adapters/partner-center/msal-network';
import type { Settings } from '../../shared/config';
import type { LocalPartnerCenter } from '../../local/stand-ins';

export async function consentAgain(settings: Settings, local: LocalPartnerCenter): Promise<void> {
  await runConsent({
    clientId: settings.PARTNER_CENTER_CLIENT_ID,
    tenantId: settings.PARTNER_CENTER_TENANT_ID,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    scopes: [settings.PARTNER_CENTER_SCOPE],
    cachePlugin: tokenCachePlugin(settings),
    networkClient: fetchNetworkModule(local.fetch),
    print: (line) => {
      const code = /Enter the code (\S+)/.exec(line)?.[1];
      if (code) setTimeout(() => local.identity.approveDeviceCode(code), 50);
    },
  });
}
