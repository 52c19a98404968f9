import { randomUUID } from 'node:crypto';
import type { SharedReferralOutput } from '../../../shared/application/shared-referral/flow';
import { preferredWaitMs } from '../../../shared/api/operation-routes';
import {
  errorOf,
  gatewayOn,
  startLocalGateway,
  type Answer,
  type LocalGateway,
} from '../../support/gateway';
import { seedRequest, setPath } from '../../support/seed';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.local.sandbox.reset());

const sandbox = () => gateway.local.sandbox;

async function followToEnd(g: LocalGateway, accepted: Answer): Promise<Answer> {
  await g.orchestrations.settled();
  const operationId = (accepted.body as { operationId: string }).operationId;
  return g.getOperation(operationId);
}

test('the seed request: 202, then one engagement with the partner and Microsoft referrals', async () => {
  const accepted = await gateway.createReferral(seedRequest(), { 'idempotency-key': randomUUID() });

  expect(accepted.status).toBe(202);
  const { operationId } = accepted.body as { operationId: string };
  expect(accepted.headers.location).toBe(`/api/referrals/operations/${operationId}`);
  expect(Number(accepted.headers['retry-after'])).toBeGreaterThan(0);

  const done = await followToEnd(gateway, accepted);
  expect(done.status).toBe(201);
  const output = done.body as SharedReferralOutput;
  expect(done.headers.location).toBe(`/api/engagements/${output.engagementId}`);
  expect(output.partnerReferral).toMatchObject({
    engagementId: output.engagementId,
    target: [{ type: 'SolutionProfile', id: 'SOL-34104-EBB' }],
  });
  expect(output.microsoftReferral).toMatchObject({
    engagementId: output.engagementId,
    target: [{ type: 'BusinessProfileLocation', id: 'msft' }],
  });
  expect(sandbox().referrals.size).toBe(2);

  const engagement = await gateway.getEngagement(output.engagementId, true);
  expect(engagement.status).toBe(200);
  expect(engagement.body).toMatchObject({
    engagementId: output.engagementId,
    state: 'complete',
    operationId,
    referrals: [
      { role: 'partner', referralId: output.partnerReferral.id, status: 'New' },
      { role: 'microsoft', referralId: output.microsoftReferral.id, status: 'New' },
    ],
  });
});

test('Prefer: wait=N answers 201 with the result when it finishes in time', async () => {
  const answer = await gateway.createReferral(seedRequest(), {
    'idempotency-key': randomUUID(),
    prefer: 'respond-async, wait=10',
  });

  expect(answer.status).toBe(201);
  expect(answer.headers['preference-applied']).toBe('wait=10');
  expect(sandbox().referrals.size).toBe(2);
});

test('repeated and concurrent submissions with one key give one pair', async () => {
  const key = randomUUID();
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      gateway.createReferral(seedRequest(), { 'idempotency-key': key }),
    ),
  );
  const operationIds = new Set(
    answers.map((a) => (a.body as { operationId?: string }).operationId),
  );
  expect(operationIds.size).toBe(1);
  await gateway.orchestrations.settled();

  const again = await gateway.createReferral(seedRequest(), {
    'idempotency-key': key,
    prefer: 'wait=5',
  });
  expect(again.status).toBe(201);
  expect(sandbox().referrals.size).toBe(2);
});

test('a used key with a different shared referral is refused with 409', async () => {
  const key = randomUUID();
  await followToEnd(
    gateway,
    await gateway.createReferral(seedRequest(), { 'idempotency-key': key }),
  );
  const changed = await gateway.createReferral(setPath(seedRequest(), 'details.dealValue', 1), {
    'idempotency-key': key,
  });
  expect(changed.status).toBe(409);
  expect(errorOf(changed).code).toBe('idempotencyKeyReused');
});

test('step 2 failing for good, then the same request again: the pair completes, exactly two referrals', async () => {
  const fast = gatewayOn(gateway.local, { PARTNER_CENTER_MAX_ATTEMPTS: '1' });
  const key = randomUUID();
  // Step 1 gets through; then Partner Center fails every create (all retries of step 2).
  sandbox().injectFault({
    fault: { kind: 'status', status: 503 },
    times: 100,
    method: 'POST',
    skip: 1,
  });

  const failed = await followToEnd(
    fast,
    await fast.createReferral(seedRequest(), { 'idempotency-key': key }),
  );

  expect(failed.status).toBe(502);
  expect(errorOf(failed).code).toBe('upstreamUnavailable');
  expect(sandbox().referrals.size).toBe(1);
  const partnerOnly = [...sandbox().referrals.values()][0];
  expect((await fast.getEngagement(partnerOnly?.engagementId ?? '')).body).toMatchObject({
    state: 'partnerReferralCreated',
    referrals: [{ role: 'partner' }],
  });

  sandbox().clearFaults();
  const resumed = await followToEnd(
    fast,
    await fast.createReferral(seedRequest(), { 'idempotency-key': key }),
  );

  expect(resumed.status).toBe(201);
  const output = resumed.body as SharedReferralOutput;
  expect(sandbox().referrals.size).toBe(2);
  expect([...sandbox().referrals.values()].map((r) => r.engagementId)).toEqual([
    output.engagementId,
    output.engagementId,
  ]);
});

test('unknown operations and engagements are 404 in the envelope', async () => {
  const operation = await gateway.getOperation(randomUUID());
  expect(operation.status).toBe(404);
  expect(errorOf(operation).code).toBe('operationNotFound');
  const engagement = await gateway.getEngagement(randomUUID());
  expect(engagement.status).toBe(404);
  expect(errorOf(engagement).code).toBe('engagementNotFound');
});

test('Prefer: wait is read per RFC 7240 and capped at 100 seconds', () => {
  expect(preferredWaitMs(null)).toBe(0);
  expect(preferredWaitMs('wait=5')).toBe(5000);
  expect(preferredWaitMs('respond-async, wait=500')).toBe(100000);
  expect(preferredWaitMs('return=minimal')).toBe(0);
});
