/**
 * `npm run consent`: an operator's one-time command (not deployed) that signs the integration
 * user in and stores the token cache. It talks to the operator's terminal.
 */
import { tokenCachePlugin } from '../functions/services';
import { runConsent } from '../shared/adapters/partner-center/consent';
import { loadSettings } from '../shared/config';

async function main(): Promise<void> {
  const settings = loadSettings();
  const { username } = await runConsent({
    clientId: settings.PARTNER_CENTER_CLIENT_ID,
    tenantId: settings.PARTNER_CENTER_TENANT_ID,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    scopes: [settings.PARTNER_CENTER_SCOPE],
    cachePlugin: tokenCachePlugin(settings),
    print: (line) => console.log(line),
  });
  console.log(
    `Signed in as ${username}. The token cache is stored in table ${settings.TOKEN_CACHE_TABLE};`,
  );
  console.log('every gateway instance uses it from now on. Nothing else to do.');
}

main().catch((error: unknown) => {
  console.error(`Consent failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error('Check the PARTNER_CENTER_* settings (see docs/configuration.md) and try again.');
  process.exitCode = 1;
});
