/**
 * The fault soak, small: 50 referrals sent three times each against a sandbox failing a fifth of
 * the calls, the host killed once mid-run, the Durable engine delivering as production does
 * (queue delays, visibility timeout after the kill, duplicate activities) on a scaled clock.
 * `npm run soak` is the full one (1,000, three kills).
 */
import { startProduct, type ProductFixture } from '../support/local-host';
import { runSoak, SOAK_QUEUES, SOAK_SETTINGS } from '../../local/soak';

jest.setTimeout(180000);

let product: ProductFixture;

beforeAll(async () => {
  product = await startProduct(SOAK_SETTINGS, { queues: SOAK_QUEUES });
});
afterAll(() => product?.stop());

it('creates every referral exactly once and answers every request', async () => {
  const result = await runSoak(product, { referrals: 50, restarts: 1 });
  expect(result.restarts).toBe(1);
  expect(Object.values(result.faultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  expect(result.requestsAnswered).toBe(result.requestsSent);
  expect(result.requestsSent).toBe(150);
  expect(result).toMatchObject({
    duplicates: 0,
    missing: 0,
    inconsistentAnswers: 0,
    failedFlowRuns: 0,
    // On a failure, what the runs ended with shows here.
    failedRunAnswers: {},
  });
  expect(result.referralsFound).toBe(result.referralsExpected);
});
