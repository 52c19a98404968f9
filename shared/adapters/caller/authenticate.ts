/**
 * Proves and authorizes the caller of a request. Failures are typed: `CallerRejected` (no proof;
 * its reason is for the logs only, never for the caller, RFC 6750) and `CallerForbidden` (proven,
 * but without the permission a route needs); the HTTP edge answers them 401 and 403.
 */
import type { Settings } from '../../config';
import { ANONYMOUS, type Caller, type Permission } from '../../contract/caller';
import { EntraTokenValidator, InvalidTokenError } from './token-validator';

export interface CallerAuthenticator {
  /** The caller behind an `Authorization` header; throws CallerRejected when unproven. */
  authenticate(authorization: string | null): Promise<Caller>;
  /** Prepares what the first authentication needs (e.g. the issuer's keys). */
  warmUp(): Promise<void>;
}

/** No proof of the caller; `reason` says which check failed, for the logs only. */
export class CallerRejected extends Error {
  override name = 'CallerRejected';
  constructor(
    readonly reason: string,
    /** The RFC 6750 error code, when the request carried a token at all. */
    readonly error?: 'invalid_token' | 'invalid_request',
  ) {
    super(`caller rejected: ${reason}`);
  }
}

/** A proven caller without the permission a route needs. */
export class CallerForbidden extends Error {
  override name = 'CallerForbidden';
  constructor(readonly permission: Permission) {
    super(`caller lacks ${permission}`);
  }
}

export function entraAuthenticator(validator: EntraTokenValidator): CallerAuthenticator {
  return {
    warmUp: () => validator.warmUp(),
    async authenticate(authorization) {
      if (!authorization) throw new CallerRejected('no Authorization header');
      const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i.exec(authorization.trim());
      if (!match) throw new CallerRejected('not a bearer token', 'invalid_request');
      try {
        return await validator.validate(match[1] as string);
      } catch (error) {
        if (error instanceof InvalidTokenError) {
          throw new CallerRejected(error.reason, 'invalid_token');
        }
        throw error; // the issuer's metadata or keys unreachable: a 500, not the caller's fault
      }
    },
  };
}

export const anonymousAuthenticator: CallerAuthenticator = {
  authenticate: async () => ANONYMOUS,
  warmUp: async () => undefined,
};

export function callerAuthenticator(
  settings: Settings,
  fetchImpl?: typeof fetch,
): CallerAuthenticator {
  if (settings.AUTH_MODE === 'none') return anonymousAuthenticator;
  return entraAuthenticator(
    new EntraTokenValidator({
      issuer: settings.AUTH_ISSUER as string,
      clientId: settings.AUTH_CLIENT_ID as string,
      ...(settings.AUTH_APP_ID_URI ? { appIdUri: settings.AUTH_APP_ID_URI } : {}),
      ...(settings.AUTH_V1_ISSUER ? { v1Issuer: settings.AUTH_V1_ISSUER } : {}),
      ...(settings.AUTH_JWKS_URI ? { jwksUri: settings.AUTH_JWKS_URI } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    }),
  );
}

export function authorize(caller: Caller, permission: Permission): void {
  const granted =
    caller.permissions.has(permission) ||
    // Reading everything includes reading one's own.
    (permission === 'Referrals.Read' && caller.permissions.has('Referrals.Read.All'));
  if (!granted) throw new CallerForbidden(permission);
}
