/**
 * Validates Microsoft Entra ID access tokens with `jose`: the signature against the issuer's
 * JWKS (found through its OpenID metadata, cached, fetched again for an unknown key id so key
 * rotation needs nothing), the issuer, the audience, expiry and not-before with a small skew,
 * RS256/PS256 only (never `none` or HMAC), and the token type (an access token, not an ID token).
 */
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose';
import { PERMISSIONS, type Caller, type Permission } from '../../contract/caller';

export interface TokenValidatorOptions {
  issuer: string;
  audience: string[];
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
  oid?: string;
  appid?: string;
  azp?: string;
  name?: string;
  roles?: string[];
  scp?: string;
  idtyp?: string;
}

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
    let payload: EntraClaims;
    let header: { typ?: string };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify<EntraClaims>(token, keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds ?? 120,
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (error) {
      throw new InvalidTokenError(joseReason(error));
    }
    if (header.typ !== undefined && !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) {
      throw new InvalidTokenError(`token type ${header.typ}`);
    }
    if (payload.roles === undefined && payload.scp === undefined) {
      throw new InvalidTokenError('not an access token (neither roles nor scp)');
    }
    if (!payload.oid) throw new InvalidTokenError('no oid claim');
    return { caller: callerFrom(payload), expiresAtMs: (payload.exp as number) * 1000 };
  }
}

function callerFrom(claims: EntraClaims): Caller {
  const granted = new Set([...(claims.roles ?? []), ...(claims.scp?.split(' ') ?? [])]);
  const permissions = new Set<Permission>(PERMISSIONS.filter((p) => granted.has(p)));
  const appId = claims.azp ?? claims.appid;
  const user = claims.idtyp === 'user' || claims.scp !== undefined;
  return {
    objectId: claims.oid as string,
    ...(appId ? { appId } : {}),
    ...(claims.name ? { name: claims.name } : {}),
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
