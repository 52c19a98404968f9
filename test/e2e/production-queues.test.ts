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
  // Each step's activity ran twice: the duplicate delivery happened and changed nothing.
  for (const step of ['createPartnerReferral', 'createMicrosoftReferral']) {
    const runs = product.output.filter(
      (line) => line.includes(`[${step}:`) && /sharedReferral\.step(Done|AlreadyDone)/.test(line),
    );
    expect(runs).toHaveLength(2);
  }
});
