/**
 * A local stand-in for Microsoft Entra ID over HTTPS, enough for MSAL to run unmodified against
 * it: OpenID discovery, JWKS, and a v2.0 token endpoint for the refresh-token, client-credential
 * and device-code grants, issuing RS256-signed JWTs. Errors use Entra's shape and AADSTS codes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  exportJWK,
  generateKeyPair,
  importX509,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { readBody, sendHtml, sendJson, startHttpsServer, type RunningServer } from './http';
import { selfSignedCertificate } from './tls';

export interface IdentityUser {
  username: string;
  objectId: string;
  displayName: string;
}

export interface IdentityClient {
  clientId: string;
  secret?: string;
  /** PEM certificate whose key signs client assertions. */
  certificate?: string;
}

export interface IdentityProviderOptions {
  tenantId?: string;
  users?: IdentityUser[];
  clients?: IdentityClient[];
  accessTokenLifetimeSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  port?: number;
}

interface RefreshTokenGrant {
  username: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  approvedFor?: string;
}

/** Entra accepts the RFC 8628 name and the short one MSAL sends. */
const DEVICE_CODE_GRANTS = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'device_code']);

export const DEFAULT_USER: IdentityUser = {
  username: 'referrals@partner.example',
  objectId: '7f3b5a3e-2c1d-4f55-9a0b-6c2e1d9f8a01',
  displayName: 'Referral Integration User',
};

/** Entra-style error answer: `{ error, error_description, error_codes, ... }`. */
function entraError(
  res: ServerResponse,
  status: number,
  error: string,
  aadsts: number,
  text: string,
) {
  sendJson(res, status, {
    error,
    error_description: `AADSTS${aadsts}: ${text}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

export class LocalIdentityProvider {
  readonly tenantId: string;
  readonly users: IdentityUser[];
  readonly clients: IdentityClient[];
  accessTokenLifetimeSeconds: number;
  refreshTokenLifetimeSeconds: number;
  /** Every token it issued (access, ID, refresh), so tests can look for them where none may be. */
  readonly issued: string[] = [];
  /** Token requests by grant type, so tests can count them. */
  tokenRequests: Record<string, number> = {};
  /** Until then the token endpoint answers 503, as Entra ID does in an outage. */
  private outageUntil = 0;
  private readonly refreshTokens = new Map<string, RefreshTokenGrant>();
  private readonly deviceCodes = new Map<string, DeviceCode>();
  private running: RunningServer | undefined;
  private keyId = '';
  private privateKey: CryptoKey | undefined;
  private publicJwk: JWK | undefined;
  /** Keys signed with before a rotation, still published as Entra does. */
  private readonly previousJwks: JWK[] = [];
  certificate = '';

  constructor(private readonly options: IdentityProviderOptions = {}) {
    this.tenantId = options.tenantId ?? '8e2d4c1a-5b7f-4e3a-9c6d-0f1e2a3b4c5d';
    this.users = options.users ?? [DEFAULT_USER];
    this.clients = options.clients ?? [];
    this.accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
    this.refreshTokenLifetimeSeconds = options.refreshTokenLifetimeSeconds ?? 90 * 24 * 3600;
  }

  /** A new signing key; the old one stays in the JWKS. */
  async rotateSigningKey(): Promise<void> {
    if (this.publicJwk) this.previousJwks.unshift(this.publicJwk);
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = privateKey;
    this.keyId = randomUUID();
    this.publicJwk = { ...(await exportJWK(publicKey)), kid: this.keyId, use: 'sig', alg: 'RS256' };
  }

  async start(): Promise<this> {
    await this.rotateSigningKey();
    const tls = await selfSignedCertificate('local-identity-provider');
    this.certificate = tls.cert;
    this.running = await startHttpsServer(
      tls,
      (req, res, url) => this.handle(req, res, url),
      this.options.port,
    );
    return this;
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  get baseUrl(): string {
    if (!this.running) throw new Error('identity provider not started');
    return this.running.baseUrl;
  }

  /** The value MSAL takes as authority host (tenant appended by the client). */
  get authorityHost(): string {
    return this.baseUrl;
  }

  get issuer(): string {
    return `${this.baseUrl}/${this.tenantId}/v2.0`;
  }

  get jwks(): JSONWebKeySet {
    if (!this.publicJwk) throw new Error('identity provider not started');
    return { keys: [this.publicJwk, ...this.previousJwks] };
  }

  /** A refresh token as an administrator would get it from a consent, to seed a gateway. */
  issueRefreshToken(clientId: string, username = DEFAULT_USER.username): string {
    const token = `rt.${randomBytes(24).toString('base64url')}`;
    this.issued.push(token);
    this.refreshTokens.set(token, {
      username,
      clientId,
      expiresAt: Date.now() + this.refreshTokenLifetimeSeconds * 1000,
      revoked: false,
    });
    return token;
  }

  /** Revokes every refresh token of a user, as an admin's "revoke sessions" would. */
  revokeRefreshTokens(username = DEFAULT_USER.username): void {
    for (const grant of this.refreshTokens.values()) {
      if (grant.username === username) grant.revoked = true;
    }
  }

  resetCounters(): void {
    this.tokenRequests = {};
  }

  /** Revokes one refresh token. */
  revokeRefreshToken(token: string): void {
    const grant = this.refreshTokens.get(token);
    if (grant) grant.revoked = true;
  }

  /** Completes a pending device-code sign-in, as the user would in a browser. */
  approveDeviceCode(userCode: string, username = DEFAULT_USER.username): boolean {
    for (const code of this.deviceCodes.values()) {
      if (code.userCode === userCode.toUpperCase() && code.expiresAt > Date.now()) {
        code.approvedFor = username;
        return true;
      }
    }
    return false;
  }

  /**
   * Signs a token as this issuer; tests use it to make tokens for the sandbox and the gateway.
   * `validFromSeconds` moves not-before (default a minute ago); a negative lifetime has expired.
   */
  async signToken(
    claims: Record<string, unknown>,
    lifetimeSeconds: number,
    options: { validFromSeconds?: number; typ?: string; issuer?: string; issuedAt?: number } = {},
  ): Promise<string> {
    if (!this.privateKey) throw new Error('identity provider not started');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.keyId, typ: options.typ ?? 'JWT' })
      // Entra signs v1.0 tokens (issuer sts.windows.net) with the same keys as v2.0 ones.
      .setIssuer(options.issuer ?? this.issuer)
      .setIssuedAt(options.issuedAt ?? now)
      .setNotBefore(now + (options.validFromSeconds ?? -60))
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.privateKey);
    this.issued.push(token);
    return token;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.split('/').filter(Boolean);
    const [tenant, ...rest] = parts;
    const route = rest.join('/');
    if (req.method === 'GET' && tenant === 'device') return this.devicePage(res, url);
    if (req.method === 'POST' && tenant === 'device') return this.deviceApprove(req, res);
    if (tenant !== this.tenantId && tenant !== 'organizations' && tenant !== 'common') {
      return entraError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    }
    const base = `${this.baseUrl}/${this.tenantId}`;
    if (req.method === 'GET' && route === 'v2.0/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'local',
      });
    }
    if (req.method === 'GET' && route === 'discovery/v2.0/keys') {
      return sendJson(res, 200, this.jwks);
    }
    if (req.method === 'POST' && route === 'oauth2/v2.0/devicecode') {
      return this.deviceCode(req, res);
    }
    if (req.method === 'POST' && route === 'oauth2/v2.0/token') {
      return this.token(req, res);
    }
    sendJson(res, 404, { error: 'not_found' });
  }

  private async form(req: IncomingMessage): Promise<URLSearchParams> {
    return new URLSearchParams(await readBody(req));
  }

  private async authenticateClient(form: URLSearchParams): Promise<IdentityClient | string> {
    const clientId = form.get('client_id') ?? '';
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client) return `Application with identifier '${clientId}' was not found in the directory.`;
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      return secret === client.secret ? client : 'Invalid client secret provided.';
    }
    if (assertion !== null && client.certificate) {
      try {
        const alg = JSON.parse(
          Buffer.from(assertion.split('.')[0] ?? '', 'base64url').toString(),
        ).alg;
        const key = await importX509(client.certificate, String(alg));
        const { payload } = await jwtVerify(assertion, key, {
          audience: `${this.baseUrl}/${this.tenantId}/oauth2/v2.0/token`,
          clockTolerance: 300, // Entra allows five minutes of clock skew
        });
        if (payload.iss !== clientId || payload.sub !== clientId)
          return 'Client assertion has the wrong issuer.';
        return client;
      } catch {
        return 'Client assertion failed signature validation.';
      }
    }
    // Public clients (device code) present no credential.
    return DEVICE_CODE_GRANTS.has(form.get('grant_type') ?? '')
      ? client
      : 'A client credential is required.';
  }

  /** Rehearses an outage: every token request fails for this long (503, a transient error). */
  failTokenRequests(forMs: number): void {
    this.outageUntil = Date.now() + forMs;
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.form(req);
    const grantType = form.get('grant_type') ?? '';
    this.tokenRequests[grantType] = (this.tokenRequests[grantType] ?? 0) + 1;
    if (Date.now() < this.outageUntil) {
      return entraError(
        res,
        503,
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
      );
    }
    const client = await this.authenticateClient(form);
    if (typeof client === 'string') return entraError(res, 401, 'invalid_client', 7000215, client);
    const scope = form.get('scope') ?? '';

    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const grant = this.refreshTokens.get(presented);
      if (!grant || grant.clientId !== client.clientId) {
        return entraError(
          res,
          400,
          'invalid_grant',
          9002313,
          'Invalid request. The refresh token is malformed or not valid.',
        );
      }
      if (grant.revoked) {
        return entraError(
          res,
          400,
          'invalid_grant',
          50173,
          'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
        );
      }
      if (grant.expiresAt <= Date.now()) {
        return entraError(
          res,
          400,
          'invalid_grant',
          700082,
          'The refresh token has expired due to inactivity.',
        );
      }
      return this.userTokens(res, client.clientId, grant.username, scope);
    }
    if (DEVICE_CODE_GRANTS.has(grantType)) {
      const code = this.deviceCodes.get(form.get('device_code') ?? '');
      if (!code || code.clientId !== client.clientId)
        return entraError(res, 400, 'invalid_grant', 70000, 'Device code not valid.');
      if (code.expiresAt <= Date.now())
        return entraError(res, 400, 'expired_token', 70020, 'The device code has expired.');
      if (!code.approvedFor)
        return entraError(
          res,
          400,
          'authorization_pending',
          70016,
          'Pending end-user authorization.',
        );
      this.deviceCodes.delete(code.deviceCode);
      return this.userTokens(res, client.clientId, code.approvedFor, code.scope);
    }
    if (grantType === 'client_credentials') {
      const accessToken = await this.signToken(
        {
          aud: resourceOf(scope),
          tid: this.tenantId,
          appid: client.clientId,
          azp: client.clientId,
          roles: [],
          ver: '2.0',
          oid: randomUUID(),
        },
        this.accessTokenLifetimeSeconds,
      );
      return sendJson(res, 200, {
        token_type: 'Bearer',
        expires_in: this.accessTokenLifetimeSeconds,
        ext_expires_in: this.accessTokenLifetimeSeconds,
        access_token: accessToken,
      });
    }
    entraError(
      res,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
  }

  private async userTokens(
    res: ServerResponse,
    clientId: string,
    username: string,
    scope: string,
  ): Promise<void> {
    const user = this.users.find((u) => u.username === username);
    if (!user)
      return entraError(
        res,
        400,
        'invalid_grant',
        50034,
        'The user account does not exist in the directory.',
      );
    const resourceScopes = scope.split(' ').filter((s) => s.includes('/'));
    const accessToken = await this.signToken(
      {
        aud: resourceOf(resourceScopes[0] ?? ''),
        tid: this.tenantId,
        oid: user.objectId,
        sub: user.objectId,
        upn: user.username,
        name: user.displayName,
        appid: clientId,
        azp: clientId,
        scp: 'user_impersonation',
        ver: '2.0',
      },
      this.accessTokenLifetimeSeconds,
    );
    const idToken = await this.signToken(
      {
        aud: clientId,
        tid: this.tenantId,
        oid: user.objectId,
        sub: user.objectId,
        preferred_username: user.username,
        name: user.displayName,
        ver: '2.0',
      },
      3600,
    );
    const clientInfo = Buffer.from(
      JSON.stringify({ uid: user.objectId, utid: this.tenantId }),
    ).toString('base64url');
    sendJson(res, 200, {
      token_type: 'Bearer',
      scope: [
        ...resourceScopes,
        ...scope.split(' ').filter((s) => ['openid', 'profile', 'offline_access'].includes(s)),
      ].join(' '),
      expires_in: this.accessTokenLifetimeSeconds,
      ext_expires_in: this.accessTokenLifetimeSeconds,
      access_token: accessToken,
      // Entra rotates refresh tokens: every redemption returns a new one.
      refresh_token: this.issueRefreshToken(clientId, user.username),
      id_token: idToken,
      client_info: clientInfo,
    });
  }

  private async deviceCode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.form(req);
    const clientId = form.get('client_id') ?? '';
    if (!this.clients.some((c) => c.clientId === clientId)) {
      return entraError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found.`,
      );
    }
    const code: DeviceCode = {
      deviceCode: randomBytes(24).toString('base64url'),
      userCode: randomBytes(5).toString('hex').toUpperCase().slice(0, 9),
      clientId,
      scope: form.get('scope') ?? '',
      expiresAt: Date.now() + 900_000,
    };
    this.deviceCodes.set(code.deviceCode, code);
    const verificationUri = `${this.baseUrl}/device`;
    sendJson(res, 200, {
      device_code: code.deviceCode,
      user_code: code.userCode,
      verification_uri: verificationUri,
      expires_in: 900,
      interval: 1,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code.userCode} to authenticate.`,
    });
  }

  private devicePage(res: ServerResponse, url: URL): void {
    const users = this.users.map((u) => `<option>${u.username}</option>`).join('');
    const code = (url.searchParams.get('code') ?? '').replace(/[^A-Za-z0-9]/g, '');
    sendHtml(
      res,
      200,
      `<!doctype html><title>Local sign-in</title><h1>Local identity provider: device sign-in</h1>
<form method="post"><label>Code <input name="user_code" value="${code}"></label>
<label>User <select name="username">${users}</select></label><button>Sign in</button></form>`,
    );
  }

  private async deviceApprove(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.form(req);
    const ok = this.approveDeviceCode(
      form.get('user_code') ?? '',
      form.get('username') ?? DEFAULT_USER.username,
    );
    sendHtml(
      res,
      ok ? 200 : 400,
      ok
        ? '<p>Signed in. You can close this page and return to the terminal.</p>'
        : '<p>Unknown or expired code.</p>',
    );
  }
}

/** `https://api.partner.microsoft.com/.default` → `https://api.partner.microsoft.com`. */
function resourceOf(scope: string): string {
  const first = scope.split(' ')[0] ?? '';
  const slash = first.lastIndexOf('/');
  return slash > 'https://'.length ? first.slice(0, slash) : first;
}
