/**
 * One-time consent: the integration user signs in with the device-code flow and MSAL's cache,
 * holding that user's refresh token, is stored where every gateway instance reads it.
 */
import { PublicClientApplication, type ICachePlugin } from '@azure/msal-node';
import { msalConfiguration, type MsalOptions } from './msal-config';

export interface ConsentOptions extends Omit<MsalOptions, 'credential'> {
  scopes: string[];
  cachePlugin: ICachePlugin;
  /** Where instructions go (a terminal); never given a token. */
  print: (line: string) => void;
}

export async function runConsent(options: ConsentOptions): Promise<{ username: string }> {
  const app = new PublicClientApplication(msalConfiguration(options));
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
