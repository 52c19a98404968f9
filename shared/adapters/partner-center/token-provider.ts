/**
 * App+User access tokens for the Partner Center API ("secure application model"): a confidential
 * client acting for one integration user, whose refresh token lives in MSAL's persisted cache.
 * Access tokens are kept in memory and reused until shortly before they expire, so Partner Center
 * calls cost one token request per token lifetime, not one per referral.
 */
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  ServerError,
  type AccountInfo,
  type AuthenticationResult,
} from '@azure/msal-node';
import type { AccessTokenSource } from './client';
import { consentRequired } from './errors';
import { msalConfiguration, type MsalOptions } from './msal-config';

export interface TokenProviderOptions extends MsalOptions {
  scopes: string[];
  /** Seeds the cache when it holds no account yet (e.g. from Key Vault). */
  initialRefreshToken?: string;
  /** Which cached account to act for; the first one when unset. */
  username?: string;
  /** Renew this long before expiry. */
  renewBeforeExpiryMs?: number;
  now?: () => number;
}

function isConsentFailure(error: unknown): boolean {
  if (error instanceof InteractionRequiredAuthError) return true;
  return (
    error instanceof ServerError &&
    ['invalid_grant', 'interaction_required'].includes(error.errorCode)
  );
}

export class PartnerCenterTokenProvider implements AccessTokenSource {
  private readonly app: ConfidentialClientApplication;
  private readonly now: () => number;
  private readonly renewBeforeMs: number;
  private current: { token: string; expiresOn: number } | undefined;
  private pending: Promise<string> | undefined;
  private refused = false;

  constructor(private readonly options: TokenProviderOptions) {
    this.app = new ConfidentialClientApplication(msalConfiguration(options));
    this.now = options.now ?? (() => Date.now());
    this.renewBeforeMs = options.renewBeforeExpiryMs ?? 5 * 60 * 1000;
  }

  async getAccessToken(): Promise<string> {
    if (this.current && this.current.expiresOn - this.renewBeforeMs > this.now()) {
      return this.current.token;
    }
    // One refresh at a time; concurrent callers share it.
    this.pending ??= this.acquire().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  invalidate(): void {
    this.current = undefined;
    // MSAL's cache still holds the refused token; skip it on the next acquisition.
    this.refused = true;
  }

  private async acquire(): Promise<string> {
    const forceRefresh = this.refused;
    this.refused = false;
    const result = await this.acquireResult(forceRefresh);
    const expiresOn = result.expiresOn?.getTime() ?? this.now();
    this.current = { token: result.accessToken, expiresOn };
    return result.accessToken;
  }

  private async acquireResult(forceRefresh: boolean): Promise<AuthenticationResult> {
    const account = await this.findAccount();
    if (account) {
      try {
        return await this.app.acquireTokenSilent({
          account,
          scopes: this.options.scopes,
          forceRefresh,
        });
      } catch (error) {
        if (!isConsentFailure(error)) throw error;
        // The cached refresh token is dead; a newer seed (e.g. after a re-consent) may still work.
        if (!this.options.initialRefreshToken) {
          throw consentRequired('the stored refresh token has expired or was revoked');
        }
      }
    }
    if (!this.options.initialRefreshToken) {
      throw consentRequired('no integration user has signed in yet');
    }
    try {
      const result = await this.app.acquireTokenByRefreshToken({
        refreshToken: this.options.initialRefreshToken,
        scopes: this.options.scopes,
        // Keep the account and its rotated refresh token: the seed is used only this once.
        forceCache: true,
      });
      if (!result) throw consentRequired('the identity provider returned no token');
      return result;
    } catch (error) {
      if (isConsentFailure(error)) {
        throw consentRequired('the configured refresh token has expired or was revoked');
      }
      throw error;
    }
  }

  private async findAccount(): Promise<AccountInfo | undefined> {
    const accounts = await this.app.getTokenCache().getAllAccounts();
    const wanted = this.options.username?.toLowerCase();
    return wanted ? accounts.find((a) => a.username.toLowerCase() === wanted) : accounts[0];
  }
}
