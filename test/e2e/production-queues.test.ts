/**
 * The shared flow with the Durable engine delivering as the Azure Storage provider does (queue
 * polls, and every activity message delivered twice at the same time, which production's
 * at-least-once queues allow), on a clock a hundred times faster.
 */
import { randomUUID } from 'node:crypto';
import { seedRequest } from '../support/seed';
import { startProduct, type ProductFixture } from '../support/local-host';

jest.setTimeout(90000);

let product: ProductFixture;

beforeAll(async () => {
  product = await startProduct({}, { queues: { scale: 0.01, duplicateActivities: 1 } });
});

afterAll(() => product?.stop());

it('creates one pair when each step runs twice at once', async () => {
  const externalReferenceId = `e2e-${randomUUID()}`;
  const answer = await product.request('POST', '/api/referrals', {
    body: JSON.stringify({ ...seedRequest(), externalReferenceId }),
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      prefer: 'wait=30',
    },
  });
  expect(answer.status).toBe(201);
  const { engagementId } = answer.body as { engagementId: string };

  const held = await product.sandboxReferrals();
  expect(held.filter((r) => r.engagementId === engagementId)).toHaveLength(2);
  // Each step's activity ran more than once (the duplicate delivery happened): one run created
  // the referral, the other found the step claimed or done, and nothing was created twice.
  const runsOf = (step: string) =>
    product.output.filter(
      (line) =>
        line.includes(`[${step}:`) && /sharedReferral\.step(Done|AlreadyDone|InFlight)/.test(line),
    );
  const steps = ['createPartnerReferral', 'createMicrosoftReferral'];
  // The duplicate of the last step may still be waiting for the claim when the answer leaves.
  for (let i = 0; i < 100 && steps.some((step) => runsOf(step).length < 2); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const step of steps) {
    expect(runsOf(step).length).toBeGreaterThanOrEqual(2);
    expect(runsOf(step).filter((line) => line.includes('sharedReferral.stepDone'))).toHaveLength(1);
  }
});
