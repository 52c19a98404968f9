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
import { consentRequired, PartnerCenterError, tokenUnavailable } from './errors';
import { msalConfiguration, type MsalOptions } from './msal-config';

export interface TokenProviderOptions extends MsalOptions {
  scopes: string[];
  /** Seeds the cache when it holds no account yet (e.g. from Key Vault). */
  initialRefreshToken?: string;
  /** Which cached account to act for; the first one when unset. */
  username?: string;
  /** Renew this long before expiry. */
  renewBeforeExpiryMs?: number;
  /** How long a caller waits for a token, and after which a stuck request is given up. */
  timeoutMs?: number;
  /** Told when the stored sign-in is found dead (so other instances and health know). */
  onSignInLost?: () => Promise<void>;
  now?: () => number;
}

const DEFAULT_TOKEN_TIMEOUT_MS = 15000;

/** MSAL's codes for an identity provider that failed rather than refused. */
const OUTAGE_CODES = new Set(['temporarily_unavailable', 'server_error', 'network_error']);

function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { errorCode?: unknown }).errorCode;
  if (typeof code === 'string') return OUTAGE_CODES.has(code) || /network|timed?_?out/i.test(code);
  // Not an MSAL error: the transport itself failed (refused, reset, DNS, aborted).
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return (
    typeof cause?.code === 'string' ||
    ['AbortError', 'TimeoutError'].includes(error.name) ||
    /fetch failed|ECONN|ETIMEDOUT|EAI_AGAIN|socket/i.test(error.message)
  );
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
  private readonly timeoutMs: number;
  private current: { token: string; expiresOn: number } | undefined;
  private pending: { since: number; token: Promise<string> } | undefined;
  private refused = false;

  constructor(private readonly options: TokenProviderOptions) {
    this.app = new ConfidentialClientApplication(msalConfiguration(options));
    this.now = options.now ?? (() => Date.now());
    this.renewBeforeMs = options.renewBeforeExpiryMs ?? 5 * 60 * 1000;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  }

  async getAccessToken(): Promise<string> {
    if (this.current && this.current.expiresOn - this.renewBeforeMs > this.now()) {
      return this.current.token;
    }
    // One refresh at a time; concurrent callers share it. One stuck past the timeout is given
    // up for a new one, so a hung identity provider never holds later callers.
    if (!this.pending || this.now() - this.pending.since >= this.timeoutMs) {
      const pending = {
        since: this.now(),
        token: this.acquire().finally(() => {
          if (this.pending === pending) this.pending = undefined;
        }),
      };
      this.pending = pending;
    }
    return this.withinTimeout(this.pending.token);
  }

  /** The token, or `tokenUnavailable` once this caller has waited the timeout. */
  private withinTimeout(token: Promise<string>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            tokenUnavailable(
              `the identity provider did not answer within ${this.timeoutMs / 1000} s`,
            ),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([token, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Renews the sign-in now (a refresh at the identity provider, not a cached token): proves the
   * refresh token still works and keeps it from going idle.
   */
  async renew(): Promise<void> {
    this.refused = true;
    this.current = undefined;
    await this.getAccessToken();
  }

  invalidate(): void {
    this.current = undefined;
    // MSAL's cache still holds the refused token; skip it on the next acquisition.
    this.refused = true;
  }

  private async acquire(): Promise<string> {
    const forceRefresh = this.refused;
    this.refused = false;
    let result: AuthenticationResult;
    try {
      result = await this.acquireResult(forceRefresh);
    } catch (error) {
      if (error instanceof PartnerCenterError && error.failure.kind === 'consentRequired') {
        await this.options.onSignInLost?.().catch(() => undefined);
      }
      if (error instanceof PartnerCenterError || !isOutage(error)) throw error;
      const code = (error as { errorCode?: unknown }).errorCode;
      throw tokenUnavailable(
        `the identity provider failed (${typeof code === 'string' ? code : 'no answer'})`,
      );
    }
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
