/**
 * Tokens shaped like the ones Microsoft Entra ID issues for the gateway's API, signed by the local
 * identity provider: v2.0 (issuer .../v2.0, audience the client id, `azp`) and v1.0 (issuer
 * sts.windows.net, audience the app ID URI, `appid`), for applications (roles) and users (scp).
 */
import { randomUUID } from 'node:crypto';
import type { LocalIdentityProvider } from '../../local/identity-provider';
import { GATEWAY_APP_ID_URI, GATEWAY_CLIENT_ID } from '../../local/launcher';

export { GATEWAY_APP_ID_URI, GATEWAY_CLIENT_ID };

export type TokenVersion = '1.0' | '2.0';

export interface TokenSpec {
  version?: TokenVersion;
  /** App roles (an application caller) or delegated scopes (a user signed in to a client). */
  roles?: string[];
  scopes?: string[];
  oid?: string;
  clientAppId?: string;
  name?: string;
  /** Claims to add or override, e.g. a wrong audience. */
  claims?: Record<string, unknown>;
  lifetimeSeconds?: number;
  validFromSeconds?: number;
  issuedAt?: number;
}

/** The settings that make the gateway accept exactly these tokens. */
export const gatewayAuthSettings = (identity: LocalIdentityProvider) => ({
  AUTH_MODE: 'entra',
  AUTH_ISSUER: identity.issuer,
  AUTH_CLIENT_ID: GATEWAY_CLIENT_ID,
  AUTH_APP_ID_URI: GATEWAY_APP_ID_URI,
});

export const v1Issuer = (identity: LocalIdentityProvider) =>
  `https://sts.windows.net/${identity.tenantId}/`;

export function entraToken(identity: LocalIdentityProvider, spec: TokenSpec = {}): Promise<string> {
  const version = spec.version ?? '2.0';
  const oid = spec.oid ?? randomUUID();
  const client = spec.clientAppId ?? randomUUID();
  const user = spec.scopes !== undefined;
  const common = {
    tid: identity.tenantId,
    oid,
    sub: user ? randomUUID() : oid,
    ...(spec.roles ? { roles: spec.roles } : {}),
    ...(user ? { scp: (spec.scopes ?? []).join(' ') } : {}),
    ...(spec.name ? { name: spec.name } : {}),
    uti: randomUUID().replace(/-/g, '').slice(0, 22),
  };
  const claims =
    version === '2.0'
      ? {
          aud: GATEWAY_CLIENT_ID,
          ver: '2.0',
          azp: client,
          azpacr: '1',
          ...(user ? { idtyp: 'user' } : { idtyp: 'app' }),
          ...common,
        }
      : { aud: GATEWAY_APP_ID_URI, ver: '1.0', appid: client, appidacr: '1', ...common };
  return identity.signToken({ ...claims, ...spec.claims }, spec.lifetimeSeconds ?? 3600, {
    ...(version === '1.0' ? { issuer: v1Issuer(identity) } : {}),
    ...(spec.validFromSeconds !== undefined ? { validFromSeconds: spec.validFromSeconds } : {}),
    ...(spec.issuedAt !== undefined ? { issuedAt: spec.issuedAt } : {}),
  });
}
