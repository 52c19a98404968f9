import { randomUUID } from 'node:crypto';
import { HttpRequest } from '@azure/functions';
import { createServices } from '../../../functions/services';
import { fetchNetworkModule } from '../../../shared/adapters/partner-center/msal-network';
import { consentAgain } from '../../support/consent';
import { independentSeedRequest } from '../../support/seed';
import { healthRoute } from '../../../shared/api/health-route';
import { ROUTES } from '../../../shared/api/route-table';
import { connectionStringFor, freePort } from '../../../local/azurite';
import {
  errorOf,
  gatewayOn,
  invoke,
  servicesFor,
  startLocalGateway,
  type LocalGateway,
} from '../../support/gateway';

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());

const request = () => new HttpRequest({ method: 'GET', url: 'https://gateway.local/api/health' });

test('healthy: configuration valid and Table Storage reachable, nothing secret in the answer', async () => {
  const answer = await gateway.health();

  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    status: 'healthy',
    checks: { configuration: { status: 'ok' }, tableStorage: { status: 'ok' } },
  });
  const text = JSON.stringify(answer.body);
  expect(text).not.toContain(gateway.local.clientSecret);
  expect(text).not.toMatch(/AccountKey|refresh/i);
});

test('unhealthy when settings are missing: names them, never echoes values', async () => {
  const env = {
    PARTNER_CENTER_CLIENT_SECRET: 'super-secret-value',
    PARTNER_CENTER_DEADLINE_MS: 'soon',
  };
  const logs: string[] = [];
  const answer = await invoke(ROUTES.health, healthRoute(), request(), logs, () =>
    servicesFor(gateway.local, env),
  );

  expect(answer.status).toBe(503);
  const checks = (answer.body as { checks: { configuration: { problems: string[] } } }).checks;
  const problems = checks.configuration.problems.join('\n');
  expect(problems).toContain('PARTNER_CENTER_TENANT_ID is required');
  expect(problems).toContain('PARTNER_CENTER_DEADLINE_MS must be a whole number');
  expect(problems).toContain('AzureWebJobsStorage is required');
  expect(JSON.stringify(answer.body)).not.toContain('super-secret-value');
  expect(answer.body).toMatchObject({
    status: 'unhealthy',
    checks: { tableStorage: { status: 'failed' } },
  });
});

test('unhealthy when Table Storage cannot be reached', async () => {
  const port = await freePort();
  const unreachable = gatewayOn(gateway.local, {
    AzureWebJobsStorage: connectionStringFor(`http://127.0.0.1:${port}/devstoreaccount1`),
  });

  const answer = await invoke(
    ROUTES.health,
    healthRoute(1000),
    request(),
    [],
    () => unreachable.services,
  );

  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({
    status: 'unhealthy',
    checks: { configuration: { status: 'ok' }, tableStorage: { status: 'failed' } },
  });
  expect(JSON.stringify(answer.body)).toMatch(
    /Table Storage (could not be reached|did not answer)/,
  );
  expect(JSON.stringify(answer.body)).not.toContain('AccountKey');
});

describe("the integration user's sign-in", () => {
  test('revoked: health says lost, creates answer partnerCenterConsentRequired; a new consent brings both back', async () => {
    const own = gatewayOn(gateway.local);
    const { identity } = gateway.local;
    expect((await own.health()).body).toMatchObject({
      checks: { partnerCenterSignIn: { status: 'ok', state: 'signedIn', daysSinceRenewal: 0 } },
    });

    identity.revokeRefreshTokens();
    // The access token in memory would still do for a while: it is refused, as Partner Center would.
    own.services.tokens.invalidate();
    const lost = await own.health();
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({
      status: 'unhealthy',
      checks: { partnerCenterSignIn: { status: 'failed', state: 'lost' } },
    });
    expect(JSON.stringify(lost.body)).toMatch(/npm run consent/);
    const refused = await own.createReferral(independentSeedRequest(), {
      'idempotency-key': randomUUID(),
    });
    expect(refused.status).toBe(503);
    expect(errorOf(refused).code).toBe('partnerCenterConsentRequired');
    expect(own.logs.some((l) => l.includes('"signIn.checked"') && l.includes('"lost"'))).toBe(true);

    // The documented renewal: npm run consent, as the operator, into the app's token cache.
    const settings = own.services.settings;
    await consentAgain(settings, gateway.local);
    expect((await own.health()).body).toMatchObject({
      checks: { partnerCenterSignIn: { status: 'ok', state: 'signedIn' } },
    });
    const created = await own.createReferral(independentSeedRequest(), {
      'idempotency-key': randomUUID(),
    });
    expect(created.status).toBe(201);
  });

  test('not renewed for SIGN_IN_AT_RISK_DAYS: at risk, still serving', async () => {
    const own = gatewayOn(gateway.local);
    const long = new Date(Date.now() - 40 * 86_400_000);
    own.services.signIn.lastRenewedAt = () => Promise.resolve(long);
    const answer = await own.health();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      checks: { partnerCenterSignIn: { status: 'ok', state: 'atRisk', daysSinceRenewal: 40 } },
    });
  });
});

test('once a refresh found the sign-in dead, health says lost on every instance, a cached token notwithstanding', async () => {
  const one = gatewayOn(gateway.local);
  await one.health(); // a token in memory and in MSAL's cache
  // A second instance of the same app: the same settings, tables and token cache.
  const other = createServices(one.services.settings, {
    fetch: gateway.local.fetch,
    networkClient: fetchNetworkModule(gateway.local.fetch),
  });
  gateway.local.identity.revokeRefreshTokens();
  await expect(other.tokens.renew()).rejects.toThrow();
  // The first instance still holds a valid access token, yet reports the sign-in as it is.
  expect((await one.health()).body).toMatchObject({
    checks: { partnerCenterSignIn: { status: 'failed', state: 'lost' } },
  });
});
