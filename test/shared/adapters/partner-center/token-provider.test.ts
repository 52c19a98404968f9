import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { generate } from 'selfsigned';
import {
  certificateCredential,
  type ClientCredential,
} from '../../../../shared/adapters/partner-center/msal-config';
import { runConsent } from '../../../../shared/adapters/partner-center/consent';
import { fetchNetworkModule } from '../../../../shared/adapters/partner-center/msal-network';
import {
  PartnerCenterTokenProvider,
  type TokenProviderOptions,
} from '../../../../shared/adapters/partner-center/token-provider';
import { KeyRing } from '../../../../shared/adapters/storage/sealed-text';
import { TableTokenCachePlugin } from '../../../../shared/adapters/storage/token-cache-plugin';
import {
  PARTNER_CENTER_AUDIENCE,
  PARTNER_CENTER_SCOPE,
  startLocalPartnerCenter,
  type LocalPartnerCenter,
} from '../../../../local/stand-ins';
import { testTable } from '../../../support/tables';
import { answerOf } from '../../../support/answer-of';
import { standInTokenOptions } from '../../../support/stand-in-tokens';

let local: LocalPartnerCenter;
let table: TableClient;
const CACHE_KEYS = new KeyRing(randomBytes(32).toString('base64'));

beforeAll(async () => {
  local = await startLocalPartnerCenter();
});
afterAll(() => local.stop());
beforeEach(() => {
  table = testTable('tokencache');
  local.identity.resetCounters();
});
afterEach(() => jest.useRealTimers());

const refreshes = () => local.identity.tokenRequests.refresh_token ?? 0;

function provider(options: Partial<TokenProviderOptions> = {}): PartnerCenterTokenProvider {
  return new PartnerCenterTokenProvider({
    ...standInTokenOptions(local),
    cachePlugin: new TableTokenCachePlugin(
      table,
      { partitionKey: 'tenant', rowKey: 'client' },
      CACHE_KEYS,
    ),
    ...options,
  });
}

/** Moves only the clock (Date) forward; timers and I/O keep running for real. */
function advanceClock(ms: number): void {
  const now = Date.now();
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
  jest.setSystemTime(now + ms);
}

test('an App+User token for Partner Center, for the integration user', async () => {
  const token = await provider({
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
  }).getAccessToken();
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
  expect(claims).toMatchObject({
    aud: PARTNER_CENTER_AUDIENCE,
    scp: 'user_impersonation',
    upn: 'referrals@partner.example',
    appid: local.clientId,
  });
});

test('the token endpoint is hit once for many calls, and again only after expiry', async () => {
  const tokens = provider({
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
  });
  const concurrent = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken()));
  for (let i = 0; i < 50; i++) await tokens.getAccessToken();
  expect(new Set(concurrent).size).toBe(1);
  expect(refreshes()).toBe(1);

  advanceClock(30 * 60 * 1000); // half the lifetime: still reused
  expect(await tokens.getAccessToken()).toBe(concurrent[0]);
  expect(refreshes()).toBe(1);

  advanceClock(56 * 60 * 1000); // within five minutes of expiry: renewed
  const renewed = await tokens.getAccessToken();
  expect(renewed).not.toBe(concurrent[0]);
  expect(refreshes()).toBe(2);
  await tokens.getAccessToken();
  expect(refreshes()).toBe(2);
});

test('the cache survives a new token-provider instance (a restart), without the seed', async () => {
  const seed = local.identity.issueRefreshToken(local.clientId);
  const first = await provider({ initialRefreshToken: seed }).getAccessToken();
  expect(refreshes()).toBe(1);

  const restarted = provider();
  expect(await restarted.getAccessToken()).toBe(first); // valid access token from the stored cache
  expect(refreshes()).toBe(1);

  // The seed is used up and revoked; the rotated refresh token in the table carries on.
  local.identity.revokeRefreshToken(seed);
  advanceClock(58 * 60 * 1000);
  const later = await provider({ initialRefreshToken: seed }).getAccessToken();
  expect(later).not.toBe(first);
  expect(refreshes()).toBe(2);
});

test('a revoked refresh token gives a clear error naming the command that fixes it', async () => {
  const tokens = provider({
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
  });
  await tokens.getAccessToken();
  local.identity.revokeRefreshTokens();
  advanceClock(58 * 60 * 1000);
  const error = await answerOf(tokens.getAccessToken());
  expect(error.status).toBe(503);
  expect(error.envelope.error.code).toBe('partnerCenterConsentRequired');
  expect(error.message).toMatch(/expired or was revoked.*npm run consent/);
});

test('with no consent yet, the error says so', async () => {
  const error = await answerOf(provider().getAccessToken());
  expect(error.envelope.error.code).toBe('partnerCenterConsentRequired');
  expect(error.message).toMatch(/no integration user has signed in yet.*npm run consent/);
  expect(refreshes()).toBe(0);
});

test('consent with the device-code flow stores a cache the gateway then uses', async () => {
  const lines: string[] = [];
  const cachePlugin = new TableTokenCachePlugin(
    table,
    { partitionKey: 'tenant', rowKey: 'client' },
    CACHE_KEYS,
  );
  const { username } = await runConsent({
    clientId: local.clientId,
    tenantId: local.identity.tenantId,
    authorityHost: local.identity.authorityHost,
    scopes: [PARTNER_CENTER_SCOPE],
    cachePlugin,
    networkClient: fetchNetworkModule(local.fetch),
    print: (line) => {
      lines.push(line);
      const code = /Enter the code (\S+)/.exec(line)?.[1];
      if (code) setTimeout(() => local.identity.approveDeviceCode(code), 50);
    },
  });
  expect(username).toBe('referrals@partner.example');
  expect(lines.join('\n')).toMatch(/Open https:\/\/127\.0\.0\.1:\d+\/device/);
  expect(lines.join('\n')).not.toMatch(/eyJ|rt\./); // no token is ever printed

  const token = await provider().getAccessToken();
  expect(token.split('.')).toHaveLength(3);
});

test('a client certificate works as the credential', async () => {
  const pems = await generate([{ name: 'commonName', value: 'referral-gateway' }], {
    keySize: 2048,
    algorithm: 'sha256',
  });
  local.identity.clients.push({ clientId: 'cert-client', certificate: pems.cert });
  const credential: ClientCredential = certificateCredential(`${pems.cert}\n${pems.private}`);
  const tokens = provider({
    clientId: 'cert-client',
    credential,
    initialRefreshToken: local.identity.issueRefreshToken('cert-client'),
  });
  expect((await tokens.getAccessToken()).split('.')).toHaveLength(3);
});

test('a wrong client secret is not mistaken for a consent problem', async () => {
  const tokens = provider({
    credential: { kind: 'secret', secret: 'wrong' },
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
  });
  await expect(tokens.getAccessToken()).rejects.toThrow(/invalid_client|7000215/);
});

describe('an identity provider that fails or hangs', () => {
  /** The stand-ins' transport, with the token requests answered by `token` instead. */
  function transport(token: (url: string, init?: RequestInit) => Promise<Response>) {
    return fetchNetworkModule((async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      return /\/token$/.test(new URL(url).pathname) ? token(url, init) : local.fetch(input, init);
    }) as typeof fetch);
  }
  const hang = () => new Promise<Response>(() => undefined);

  test('a token request that hangs ends in tokenUnavailable at the timeout, and the next caller is not held by it', async () => {
    let calls = 0;
    const tokens = provider({
      initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
      timeoutMs: 300,
      networkClient: transport((url, init) => (++calls === 1 ? hang() : local.fetch(url, init))),
    });
    const started = Date.now();
    const stuck = await answerOf(tokens.getAccessToken());
    expect(stuck.status).toBe(503);
    expect(stuck.envelope.error.code).toBe('identityProviderUnavailable');
    expect(stuck.retryAfterSeconds).toBe(30);
    expect(Date.now() - started).toBeLessThan(5000);
    // The stuck request is given up: the next caller gets a token from a new one.
    expect((await tokens.getAccessToken()).split('.')).toHaveLength(3);
    expect(calls).toBe(2);
  });

  test('an unreachable identity provider is tokenUnavailable, not an internal error', async () => {
    const tokens = provider({
      initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
      networkClient: transport(() =>
        Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })),
      ),
    });
    const unreachable = await answerOf(tokens.getAccessToken());
    expect(unreachable.status).toBe(503);
    expect(unreachable.envelope.error.code).toBe('identityProviderUnavailable');
    expect(unreachable.message).toMatch(/identity provider failed/);
  });
});
