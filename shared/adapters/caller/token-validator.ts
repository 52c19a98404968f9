/**
 * Validates Microsoft Entra ID access tokens with `jose`: the signature against the tenant's JWKS
 * (found through the v2 issuer's OpenID metadata, cached, fetched again for an unknown key id so
 * key rotation needs nothing), RS256/PS256 only (never `none` or HMAC), expiry, not-before and
 * issued-at with a small skew, and exactly the issuer/audience pairs Entra issues for this API:
 * - v2.0 tokens (`ver` "2.0"): issuer `https://login.microsoftonline.com/<tenant>/v2.0`,
 *   audience the API's client id;
 * - v1.0 tokens (`ver` "1.0"): issuer `https://sts.windows.net/<tenant>/`, audience the API's
 *   app ID URI (or its client id, when the client asked for it by id).
 * Only access tokens pass: they name the client (`azp` in v2, `appid` in v1), carry `roles` or
 * `scp` of the right types, and no `nonce`; ID tokens for the same app are refused.
 */
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose';
import { PERMISSIONS, type Caller, type Permission } from '../../contract/caller';

export interface TokenValidatorOptions {
  /** The v2.0 issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0 */
  issuer: string;
  /** The API's client id: the audience of v2.0 tokens. */
  clientId: string;
  /** The API's app ID URI (e.g. api://referral-gateway): the audience of v1.0 tokens. */
  appIdUri?: string;
  /** The v1.0 issuer; default https://sts.windows.net/<tenant of the v2.0 issuer>/ */
  v1Issuer?: string;
  /** Default: the `jwks_uri` of the issuer's OpenID metadata. */
  jwksUri?: string;
  clockToleranceSeconds?: number;
  /** After a JWKS fetch, no other for this long (an unknown `kid` cannot force fetches). */
  jwksCooldownMs?: number;
  fetch?: typeof fetch;
}

/** Why a token was refused: for the logs only, never for the caller. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
  }
}

const ALGORITHMS = ['RS256', 'PS256'];
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt']);

interface EntraClaims extends JWTPayload {
  ver?: unknown;
  oid?: unknown;
  appid?: unknown;
  azp?: unknown;
  name?: unknown;
  roles?: unknown;
  scp?: unknown;
  idtyp?: unknown;
  nonce?: unknown;
}

/** The tenant in a v2.0 issuer URL (`https://login.microsoftonline.com/<tenant>/v2.0`). */
export function tenantOfIssuer(issuer: string): string {
  const tenant = new URL(issuer).pathname.split('/').filter(Boolean)[0];
  if (!tenant) throw new Error(`The issuer ${issuer} names no tenant`);
  return tenant;
}

export const v1IssuerFor = (issuer: string) => `https://sts.windows.net/${tenantOfIssuer(issuer)}/`;

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Tokens already proven, so a flow's repeated calls skip the signature check. */
const PROVEN_TOKENS_MAX = 1000;

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

export class EntraTokenValidator {
  private readonly proven = new Map<string, { caller: Caller; expiresAtMs: number }>();
  /** The issuer's keys, found once (found again only after a failed discovery). */
  private keys: Promise<RemoteKeys> | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: TokenValidatorOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  private jwks(): Promise<RemoteKeys> {
    this.keys ??= this.discover().then(
      (uri) =>
        createRemoteJWKSet(new URL(uri), {
          cooldownDuration: this.options.jwksCooldownMs ?? 30000,
          [customFetch]: (url: string, init: RequestInit) => this.fetch(url, init),
        }),
      (error: unknown) => {
        this.keys = undefined; // try again on the next request
        throw error;
      },
    );
    return this.keys;
  }

  private async discover(): Promise<string> {
    if (this.options.jwksUri) return this.options.jwksUri;
    const metadataUrl = `${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await this.fetch(metadataUrl);
    if (!response.ok) throw new Error(`OpenID metadata at ${metadataUrl}: HTTP ${response.status}`);
    const metadata = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (!metadata.jwks_uri) throw new Error(`OpenID metadata at ${metadataUrl} has no jwks_uri`);
    return metadata.jwks_uri;
  }

  /** Finds and fetches the signing keys now, before the first token needs them. */
  async warmUp(): Promise<void> {
    await (await this.jwks()).reload();
  }

  /**
   * The caller a token proves. A token proven before is trusted again until it expires: it is
   * the same signed bytes, and a JWT cannot be revoked sooner anyway.
   */
  async validate(token: string): Promise<Caller> {
    const known = this.proven.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.caller;
    if (known) this.proven.delete(token);
    const proven = await this.verify(token);
    if (this.proven.size >= PROVEN_TOKENS_MAX) {
      this.proven.delete(this.proven.keys().next().value as string); // the oldest
    }
    this.proven.set(token, proven);
    return proven.caller;
  }

  private async verify(token: string): Promise<{ caller: Caller; expiresAtMs: number }> {
    const keys = await this.jwks();
    const { issuer, clientId, appIdUri } = this.options;
    const v1Issuer = this.options.v1Issuer ?? v1IssuerFor(issuer);
    const skew = this.options.clockToleranceSeconds ?? 120;
    let payload: EntraClaims;
    let header: { typ?: string };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify<EntraClaims>(token, keys, {
        issuer: [issuer, v1Issuer],
        audience: appIdUri ? [clientId, appIdUri] : [clientId],
        algorithms: ALGORITHMS,
        clockTolerance: skew,
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (error) {
      throw new InvalidTokenError(joseReason(error));
    }
    if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
      throw new InvalidTokenError(`token type ${header.typ}`);
    }
    // Each version has its own issuer and audience; a mix is no token Entra issues.
    const pairOk =
      payload.ver === '2.0'
        ? payload.iss === issuer && payload.aud === clientId && typeof payload.azp === 'string'
        : payload.ver === '1.0'
          ? payload.iss === v1Issuer &&
            (payload.aud === appIdUri || payload.aud === clientId) &&
            typeof payload.appid === 'string'
          : false;
    if (!pairOk) throw new InvalidTokenError(`not a v1.0 or v2.0 access token for this API`);
    if (payload.nonce !== undefined) throw new InvalidTokenError('an ID token (nonce)');
    if ((payload.iat as number) > Date.now() / 1000 + skew) {
      throw new InvalidTokenError('claim iat in the future');
    }
    if (payload.roles !== undefined && !isStringArray(payload.roles)) {
      throw new InvalidTokenError('claim roles is not a list of strings');
    }
    if (payload.scp !== undefined && typeof payload.scp !== 'string') {
      throw new InvalidTokenError('claim scp is not a string');
    }
    if (payload.roles === undefined && payload.scp === undefined) {
      throw new InvalidTokenError('not an access token (neither roles nor scp)');
    }
    if (typeof payload.oid !== 'string' || payload.oid === '') {
      throw new InvalidTokenError('no oid claim');
    }
    return { caller: callerFrom(payload), expiresAtMs: (payload.exp as number) * 1000 };
  }
}

function callerFrom(claims: EntraClaims): Caller {
  const roles = isStringArray(claims.roles) ? claims.roles : [];
  const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
  const granted = new Set([...roles, ...scopes]);
  const permissions = new Set<Permission>(PERMISSIONS.filter((p) => granted.has(p)));
  const appId = typeof claims.azp === 'string' ? claims.azp : claims.appid;
  const name = typeof claims.name === 'string' ? claims.name : undefined;
  const user = claims.idtyp === 'user' || claims.scp !== undefined;
  return {
    objectId: claims.oid as string,
    ...(typeof appId === 'string' ? { appId } : {}),
    ...(name ? { name } : {}),
    kind: user ? 'user' : 'application',
    permissions,
  };
}

function joseReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  const claim = (error as { claim?: string }).claim;
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim) return `claim ${claim}`;
  return code ?? (error instanceof Error ? error.name : 'unknown');
}
