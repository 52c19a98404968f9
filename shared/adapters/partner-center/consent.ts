/**
 * One-time consent: the integration user signs in with the device-code flow and MSAL's cache,
 * holding that user's refresh token, is stored where every gateway instance reads it.
 */
import { PublicClientApplication, type ICachePlugin, type INetworkModule } from '@azure/msal-node';

export interface ConsentOptions {
  clientId: string;
  tenantId: string;
  authorityHost: string;
  scopes: string[];
  cachePlugin: ICachePlugin;
  networkClient?: INetworkModule;
  /** Where instructions go (a terminal); never given a token. */
  print: (line: string) => void;
}

export async function runConsent(options: ConsentOptions): Promise<{ username: string }> {
  const app = new PublicClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${options.authorityHost.replace(/\/+$/, '')}/${options.tenantId}`,
      knownAuthorities: [new URL(options.authorityHost).host],
    },
    cache: { cachePlugin: options.cachePlugin },
    ...(options.networkClient ? { system: { networkClient: options.networkClient } } : {}),
  });
  const result = await app.acquireTokenByDeviceCode({
    scopes: [...options.scopes, 'offline_access'],
    deviceCodeCallback: (response) => {
      options.print(
        'Sign in as the Partner Center integration user (Referral Admin or Referral User):',
      );
      options.print(`  1. Open ${response.verificationUri}`);
      options.print(`  2. Enter the code ${response.userCode}`);
      options.print(`  The code expires in ${Math.round(response.expiresIn / 60)} minutes.`);
    },
  });
  if (!result?.account) throw new Error('The sign-in returned no account');
  return { username: result.account.username };
}
