/**
 * Proves and authorizes the caller of a request. A missing or bad token is answered 401 with
 * `WWW-Authenticate: Bearer` and no hint of which check failed (RFC 6750); a valid token without
 * the permission a route needs is answered 403.
 */
import type { Settings } from '../../config';
import { errorEnvelope, GatewayError } from '../../contract/errors';
import { ANONYMOUS, type Caller, type Permission } from './caller';
import { EntraTokenValidator, InvalidTokenError } from './token-validator';

export interface CallerAuthenticator {
  /** The caller behind an `Authorization` header; throws a 401 GatewayError when unproven. */
  authenticate(authorization: string | null): Promise<Caller>;
  /** Prepares what the first authentication needs (e.g. the issuer's keys). */
  warmUp(): Promise<void>;
}

const REALM = 'Bearer realm="referral-gateway"';

/** A 401; `reason` says which check failed, for the logs only. */
export class CallerRejected extends GatewayError {
  constructor(
    readonly reason: string,
    error?: 'invalid_token' | 'invalid_request',
  ) {
    super(
      401,
      errorEnvelope(
        'unauthorized',
        'A valid Microsoft Entra ID access token for this API is required: send it as Authorization: Bearer <token>.',
        'Authorization',
      ),
      undefined,
      { 'www-authenticate': error ? `${REALM}, error="${error}"` : REALM },
    );
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
      audience: (settings.AUTH_AUDIENCE as string).split(',').map((a) => a.trim()),
      ...(settings.AUTH_JWKS_URI ? { jwksUri: settings.AUTH_JWKS_URI } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    }),
  );
}

export function authorize(caller: Caller, permission: Permission): void {
  if (caller.permissions.has(permission)) return;
  throw new GatewayError(
    403,
    errorEnvelope(
      'forbidden',
      `The caller lacks the ${permission} permission: assign it the ${permission} app role, or consent the ${permission} scope for its client app.`,
      'Authorization',
    ),
    undefined,
    { 'www-authenticate': `${REALM}, error="insufficient_scope", scope="${permission}"` },
  );
}
