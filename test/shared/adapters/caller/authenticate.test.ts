/**
 * Caller authentication and authorization at the routes, with Entra-style tokens made in the test
 * by the local identity provider (its keys are made at start-up) or by keys made here. Every
 * refused token gets the right status and no Partner Center call.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../../../local/stand-ins';
import { errorOf, gatewayOn, type LocalGateway } from '../../../support/gateway';
import { independentSeedRequest } from '../../../support/seed';

const AUDIENCE = 'api://referral-gateway';
let local: LocalPartnerCenter;
let gateway: LocalGateway;

beforeAll(async () => {
  local = await startLocalPartnerCenter();
  gateway = gatewayOn(local, {
    AUTH_MODE: 'entra',
    AUTH_ISSUER: local.identity.issuer,
    AUTH_AUDIENCE: AUDIENCE,
  });
});
afterAll(() => local.stop());

const APP = { oid: randomUUID(), azp: randomUUID(), idtyp: 'app', tid: 'partner-tenant' };

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
      local.identity.signToken(
        { aud: AUDIENCE, oid: randomUUID(), azp: APP.azp, scp, name: 'Flow Maker' },
        3600,
      );
    expect((await create(`Bearer ${await delegated('Referrals.Read')}`)).status).toBe(403);
    expect((await create(`Bearer ${await delegated('Referrals.Create')}`)).status).toBe(201);
  });
});
