/**
 * Caller authentication and authorization at the routes, with Entra-style tokens made in the test
 * by the local identity provider (its keys are made at start-up) or by keys made here. Every
 * refused token gets the right status and no Partner Center call.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../../../local/stand-ins';
import { errorOf, gatewayOn, type LocalGateway } from '../../../support/gateway';
import {
  entraToken,
  gatewayAuthSettings,
  GATEWAY_APP_ID_URI,
  GATEWAY_CLIENT_ID,
  v1Issuer,
} from '../../../support/entra-tokens';
import { independentSeedRequest } from '../../../support/seed';

const AUDIENCE = GATEWAY_CLIENT_ID;
let local: LocalPartnerCenter;
let gateway: LocalGateway;

beforeAll(async () => {
  local = await startLocalPartnerCenter();
  gateway = gatewayOn(local, gatewayAuthSettings(local.identity));
});
afterAll(() => local.stop());

const APP = {
  oid: randomUUID(),
  azp: randomUUID(),
  idtyp: 'app',
  ver: '2.0',
  tid: 'partner-tenant',
};

function appToken(roles: string[], claims: Record<string, unknown> = {}, lifetime = 3600) {
  return local.identity.signToken({ aud: AUDIENCE, ...APP, roles, ...claims }, lifetime);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function upstreamCalls(): number {
  const tokenRequests = Object.values(local.identity.tokenRequests).reduce((a, b) => a + b, 0);
  return local.sandbox.createRequests + tokenRequests;
}

const create = (authorization?: string) =>
  gateway.createReferral(
    { ...independentSeedRequest(), externalReferenceId: `auth-${randomUUID()}` },
    authorization ? { authorization } : {},
  );

describe('refused tokens: 401 with WWW-Authenticate, the envelope, and no upstream call', () => {
  const cases: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['not a bearer token', async () => 'Basic dXNlcjpwYXNz'],
    ['expired', async () => `Bearer ${await appToken(['Referrals.Create'], {}, -600)}`],
    [
      'not yet valid',
      async () =>
        `Bearer ${await local.identity.signToken({ aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] }, 3600, { validFromSeconds: 900 })}`,
    ],
    [
      'wrong audience',
      async () => `Bearer ${await appToken(['Referrals.Create'], { aud: 'api://another-api' })}`,
    ],
    [
      'wrong issuer',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const kid = (local.identity.jwks.keys[0] as { kid: string }).kid;
        const token = await new SignJWT({ aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] })
          .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
          .setIssuer('https://login.example/evil/v2.0')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);
        return `Bearer ${token}`;
      },
    ],
    [
      'unknown kid',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const token = await new SignJWT({ aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] })
          .setProtectedHeader({ alg: 'RS256', kid: 'not-a-known-key', typ: 'JWT' })
          .setIssuer(local.identity.issuer)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);
        return `Bearer ${token}`;
      },
    ],
    [
      'alg none',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const claims = { aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] };
        const payload = { ...claims, iss: local.identity.issuer, iat: now, exp: now + 3600 };
        return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
      },
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const jwk = local.identity.jwks.keys[0] as { kid: string };
        const secret = new TextEncoder().encode(JSON.stringify(jwk));
        const token = await new SignJWT({ aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] })
          .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'JWT' })
          .setIssuer(local.identity.issuer)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(secret);
        return `Bearer ${token}`;
      },
    ],
    [
      'tampered payload',
      async () => {
        const [header, , signature] = (await appToken([])).split('.');
        const payload = b64({
          aud: AUDIENCE,
          ...APP,
          roles: ['Referrals.Create'],
          iss: local.identity.issuer,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 3600,
        });
        return `Bearer ${header}.${payload}.${signature}`;
      },
    ],
    [
      'an ID token (no roles, no scopes)',
      async () =>
        `Bearer ${await local.identity.signToken({ aud: AUDIENCE, ...APP, nonce: 'n' }, 3600)}`,
    ],
    [
      'an ID token shaped like an access token (roles, no azp or appid, a nonce)',
      async () => {
        const { azp: _azp, ...noClient } = APP;
        return `Bearer ${await local.identity.signToken({ aud: AUDIENCE, ...noClient, roles: ['Referrals.Create'], nonce: 'n-1' }, 3600)}`;
      },
    ],
    [
      'an access token carrying a nonce',
      async () => `Bearer ${await appToken(['Referrals.Create'], { nonce: 'n-2' })}`,
    ],
    [
      'issued a year from now',
      async () =>
        `Bearer ${await entraToken(local.identity, { roles: ['Referrals.Create'], issuedAt: Math.floor(Date.now() / 1000) + 365 * 24 * 3600 })}`,
    ],
    ['roles of the wrong type ({})', async () => `Bearer ${await appToken([], { roles: {} })}`],
    [
      'scp of the wrong type (42)',
      async () => `Bearer ${await entraToken(local.identity, { scopes: [], claims: { scp: 42 } })}`,
    ],
    [
      'oid of the wrong type',
      async () => `Bearer ${await appToken(['Referrals.Create'], { oid: { id: 1 } })}`,
    ],
    [
      'a v2.0 token for the app ID URI (v2.0 tokens name the client id)',
      async () =>
        `Bearer ${await entraToken(local.identity, { roles: ['Referrals.Create'], claims: { aud: GATEWAY_APP_ID_URI } })}`,
    ],
    [
      'a v1.0 token from the v2.0 issuer',
      async () =>
        `Bearer ${await local.identity.signToken({ aud: GATEWAY_APP_ID_URI, ver: '1.0', appid: APP.azp, oid: APP.oid, roles: ['Referrals.Create'] }, 3600)}`,
    ],
    [
      'a v1.0-shaped token without appid',
      async () =>
        `Bearer ${await entraToken(local.identity, { version: '1.0', roles: ['Referrals.Create'], claims: { appid: undefined } })}`,
    ],
    [
      'no version claim',
      async () =>
        `Bearer ${await entraToken(local.identity, { roles: ['Referrals.Create'], claims: { ver: undefined } })}`,
    ],
    [
      'a token of another type',
      async () =>
        `Bearer ${await local.identity.signToken({ aud: AUDIENCE, ...APP, roles: ['Referrals.Create'] }, 3600, { typ: 'logout+jwt' })}`,
    ],
  ];

  it.each(cases)('%s', async (_name, authorization) => {
    const before = upstreamCalls();
    const answer = await create(await authorization());
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="referral-gateway"/);
    const error = errorOf(answer);
    expect(error.code).toBe('unauthorized');
    // The same words whatever failed: nothing tells an attacker which check caught it.
    expect(error.message).toBe(
      'A valid Microsoft Entra ID access token for this API is required: send it as Authorization: Bearer <token>.',
    );
    expect(upstreamCalls()).toBe(before);
  });
});

describe('permissions', () => {
  it('a caller without the role gets 403 and nothing is sent', async () => {
    const before = upstreamCalls();
    const answer = await create(`Bearer ${await appToken([])}`);
    expect(answer.status).toBe(403);
    expect(errorOf(answer).code).toBe('forbidden');
    expect(answer.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(upstreamCalls()).toBe(before);
  });

  it('Referrals.Read allows reads and status but not creates', async () => {
    const token = `Bearer ${await appToken(['Referrals.Read'])}`;
    const before = upstreamCalls();
    expect((await create(token)).status).toBe(403);
    expect(upstreamCalls()).toBe(before);
    const status = await gateway.getOperation(randomUUID(), { authorization: token });
    expect(status.status).toBe(404); // allowed in, and there is no such operation
  });

  it('Referrals.Create as an app role creates; the record and the logs name the caller', async () => {
    const key = randomUUID();
    const answer = await gateway.createReferral(
      { ...independentSeedRequest(), externalReferenceId: `auth-${randomUUID()}` },
      {
        authorization: `Bearer ${await appToken(['Referrals.Create'], { name: 'Nightly sync' })}`,
        'idempotency-key': key,
      },
    );
    expect(answer.status).toBe(201);
    const record = await gateway.services.idempotency.get(APP.oid, key);
    expect(record).toMatchObject({
      caller: APP.oid,
      callerAppId: APP.azp,
      callerName: 'Nightly sync',
    });
    const completed = gateway.logs.filter((line) => line.includes('"request.completed"')).at(-1);
    expect(completed).toContain(`"callerId":"${APP.oid}"`);
    expect(completed).toContain(`"callerAppId":"${APP.azp}"`);
    expect(gateway.logs.join('\n')).not.toContain('Nightly sync');
  });

  it('a delegated caller needs the scope', async () => {
    const delegated = (scp: string) =>
      entraToken(local.identity, { scopes: [scp], clientAppId: APP.azp, name: 'Flow Maker' });
    expect((await create(`Bearer ${await delegated('Referrals.Read')}`)).status).toBe(403);
    expect((await create(`Bearer ${await delegated('Referrals.Create')}`)).status).toBe(201);
  });
});

describe('the token versions Entra issues for this API', () => {
  it.each([
    ['a v2.0 app token (issuer .../v2.0, audience the client id, azp)', '2.0', undefined],
    ['a v1.0 app token (issuer sts.windows.net, audience the app ID URI, appid)', '1.0', undefined],
    ['a v1.0 app token asked for by client id', '1.0', GATEWAY_CLIENT_ID],
  ] as const)('%s is accepted', async (_name, version, aud) => {
    const token = await entraToken(local.identity, {
      version,
      roles: ['Referrals.Create'],
      ...(aud ? { claims: { aud } } : {}),
    });
    expect((await create(`Bearer ${token}`)).status).toBe(201);
  });

  it('a v1.0 user token with the scope is accepted, as the user', async () => {
    const token = await entraToken(local.identity, {
      version: '1.0',
      scopes: ['Referrals.Create'],
    });
    expect((await create(`Bearer ${token}`)).status).toBe(201);
    expect(v1Issuer(local.identity)).toMatch(/^https:\/\/sts\.windows\.net\/.+\/$/);
  });
});
