/**
 * The integration user's sign-in, end to end through the local host: revoked, it shows in health
 * as lost and creates answer partnerCenterConsentRequired; renewed the documented way (npm run
 * consent against the app's token cache), creates come back without a restart.
 */
import { randomUUID } from 'node:crypto';
import { loadSettings } from '../../shared/config';
import { consentAgain } from '../support/consent';
import { independentSeedRequest } from '../support/seed';
import { startProduct, type ProductFixture } from '../support/local-host';

jest.setTimeout(90000);

let product: ProductFixture;

beforeAll(async () => {
  product = await startProduct();
});
afterAll(async () => {
  await product?.stop();
});

const create = () =>
  product.request('POST', '/api/referrals', {
    body: JSON.stringify(independentSeedRequest()),
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
  });
const signIn = async () =>
  (
    (await product.request('GET', '/api/health')).body as {
      checks: { partnerCenterSignIn: { state: string } };
    }
  ).checks.partnerCenterSignIn.state;

test('revoked: health says lost and creates answer partnerCenterConsentRequired; npm run consent brings them back', async () => {
  expect((await create()).status).toBe(201);
  expect(await signIn()).toBe('signedIn');

  // An administrator revokes the integration user's sessions; Partner Center then refuses the
  // access token the gateway still holds (as continuous access evaluation does).
  const { identity, sandbox } = product.local;
  identity.revokeRefreshTokens();
  sandbox.injectFault({
    fault: { kind: 'status', status: 401, code: 'unauthenticated' },
    method: 'POST',
    times: 1,
  });
  const refused = await create();
  expect(refused.status).toBe(503);
  expect((refused.body as { error: { code: string } }).error.code).toBe(
    'partnerCenterConsentRequired',
  );
  expect(await signIn()).toBe('lost');
  expect((await product.request('GET', '/api/health')).status).toBe(503);

  const settings = loadSettings(product.env);
  await consentAgain(settings, product.local);
  expect(await signIn()).toBe('signedIn');
  expect((await create()).status).toBe(201);
});
