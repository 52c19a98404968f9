import { randomUUID } from 'node:crypto';
import { createLogger } from '../../../../shared/logging';
import { runStep, type StepDeps } from '../../../../shared/application/shared-referral/activities';
import {
  partnerReferralRequest,
  type StepInput,
  type StepOutcome,
} from '../../../../shared/application/shared-referral/flow';
import { EngagementStore } from '../../../../shared/adapters/storage/engagement-store';
import type { Referral } from '../../../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../../../shared/contract/validate';
import { gatewayOn, startLocalGateway, type LocalGateway } from '../../../support/gateway';
import { seedRequest } from '../../../support/seed';
import { testTable } from '../../../support/tables';

let gateway: LocalGateway;
let deps: StepDeps;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => {
  gateway.local.sandbox.reset();
  deps = {
    partnerCenter: gateway.services.partnerCenter,
    engagements: new EngagementStore(testTable('eng')),
    log: createLogger({ info: () => undefined, warn: () => undefined, error: () => undefined }),
    // A short claim lease and list delay, so a step taken over is seen within the test.
    policy: { leaseMs: 1000, listDelayMs: 300 },
  };
});

const sandbox = () => gateway.local.sandbox;

function stepInput(): StepInput {
  const result = validateReferralCreateRequest(seedRequest());
  if (!result.ok) throw new Error('the seed must validate');
  return {
    referral: partnerReferralRequest(result.value, undefined),
    requestHash: 'hash',
    caller: 'anonymous',
    keySource: 'header',
    correlationId: 'corr',
    acceptedAt: '2026-11-24T10:00:00.000Z',
    operationId: randomUUID(),
  };
}

function created(result: StepOutcome): Referral {
  if (!result.ok) throw new Error(`step failed: ${JSON.stringify(result.failure)}`);
  return result.referral;
}

const createPartnerReferralStep = (deps: StepDeps, input: StepInput) =>
  runStep(deps, 'partner', input);
const createMicrosoftReferralStep = (deps: StepDeps, input: StepInput) =>
  runStep(deps, 'microsoft', input);

test('the two steps create the partner referral and the connected one for Microsoft, recorded', async () => {
  const input = stepInput();
  const partner = created(await createPartnerReferralStep(deps, input));
  const engagementId = partner.engagementId as string;
  const microsoft = created(await createMicrosoftReferralStep(deps, { ...input, engagementId }));

  expect(partner.target).toEqual([{ type: 'SolutionProfile', id: 'SOL-34104-EBB' }]);
  expect(microsoft).toMatchObject({
    engagementId,
    type: 'Shared',
    target: [{ type: 'BusinessProfileLocation', id: 'msft' }],
    inviteContext: input.referral.inviteContext,
  });
  expect(sandbox().referrals.size).toBe(2);

  const mapping = await deps.engagements.getEngagement(engagementId);
  expect(mapping).toMatchObject({
    engagementId,
    state: 'complete',
    operationId: input.operationId,
    caller: 'anonymous',
    referrals: [
      {
        role: 'partner',
        referralId: partner.id,
        target: { type: 'SolutionProfile', id: 'SOL-34104-EBB' },
      },
      {
        role: 'microsoft',
        referralId: microsoft.id,
        target: { type: 'BusinessProfileLocation', id: 'msft' },
      },
    ],
  });
});

test('a re-run step returns its recorded referral without calling Partner Center', async () => {
  const input = stepInput();
  const first = created(await createPartnerReferralStep(deps, input));
  const again = created(await createPartnerReferralStep(deps, input));

  expect(again).toEqual(first);
  expect(sandbox().createRequests).toBe(1);
});

test('a step run again after one that died having created the referral finds it, and sends nothing', async () => {
  // Partner Center as its docs allow: a repeated request-id is not deduplicated.
  sandbox().deduplicateRequestIds = false;
  const input = stepInput();
  // The first delivery's recording fails (the worker died): nothing recorded.
  const dying: StepDeps = {
    ...deps,
    engagements: Object.assign(Object.create(deps.engagements) as EngagementStore, {
      recordStep: () => Promise.reject(new Error('worker killed')),
    }),
  };
  await expect(createPartnerReferralStep(dying, input)).rejects.toThrow('worker killed');

  // Delivered again at once: it waits out the dead run's claim (1 s), then finds the referral.
  const redelivered = created(await createPartnerReferralStep(deps, input));

  expect(sandbox().createRequests).toBe(1);
  expect([...sandbox().referrals.keys()]).toEqual([redelivered.id]);
});

test('beyond the assumed list delay the lost answer is not found: the resend says so on the outcome', async () => {
  sandbox().deduplicateRequestIds = false;
  sandbox().listDelayMs = 3000; // the policy assumes 300 ms
  sandbox().injectFault({ fault: { kind: 'drop' }, times: 1, method: 'POST', when: 'after' });

  const outcome = await createPartnerReferralStep(deps, stepInput());

  expect(outcome).toMatchObject({ ok: true, resentAfterUnknownOutcome: true });
  expect(sandbox().referrals.size).toBe(2);
});

test('two runs of a step at the same time create one referral', async () => {
  sandbox().deduplicateRequestIds = false;
  sandbox().latencyMs = 200;
  const input = stepInput();
  const [a, b] = await Promise.all([
    createPartnerReferralStep(deps, input),
    createPartnerReferralStep(deps, input),
  ]);
  // One created it; the other waited for the claim and found the step done.
  expect(created(a).id).toBe(created(b).id);
  expect(sandbox().referrals.size).toBe(1);
  expect(sandbox().createRequests).toBe(1);
});

test('Partner Center failures are answered as data: a refusal is final, a fault may be retried', async () => {
  const input = stepInput();
  sandbox().injectFault({
    fault: { kind: 'status', status: 400, code: 'invalidRequest' },
    times: 1,
    method: 'POST',
  });
  const rejected = await createPartnerReferralStep(deps, input);
  expect(rejected).toMatchObject({
    ok: false,
    retryable: false,
    failure: {
      source: 'partnerCenter',
      failure: { kind: 'rejected', status: 400, code: 'invalidRequest', created: 'no' },
    },
  });

  const fast = gatewayOn(gateway.local, { PARTNER_CENTER_MAX_ATTEMPTS: '1' });
  sandbox().injectFault({ fault: { kind: 'status', status: 503 }, times: 10, method: 'POST' });
  const transient = await createPartnerReferralStep(
    { ...deps, partnerCenter: fast.services.partnerCenter },
    input,
  );
  expect(transient).toMatchObject({
    ok: false,
    retryable: true,
    failure: { source: 'partnerCenter', failure: { kind: 'unavailable', status: 503 } },
  });
  // Plain data: what crosses the Durable boundary is exactly what was returned.
  expect(JSON.parse(JSON.stringify(transient))).toEqual(transient);
  expect(sandbox().referrals.size).toBe(0);
});

test('step 2 failing for good, then the flow run again, ends with exactly two referrals on one engagement', async () => {
  const input = stepInput();
  const fast = gatewayOn(gateway.local, { PARTNER_CENTER_MAX_ATTEMPTS: '1' });
  const failing = { ...deps, partnerCenter: fast.services.partnerCenter };
  const partner = created(await createPartnerReferralStep(failing, input));
  const engagementId = partner.engagementId as string;
  sandbox().injectFault({ fault: { kind: 'status', status: 503 }, times: 100, method: 'POST' });
  for (let attempt = 0; attempt < 5; attempt++) {
    expect(await createMicrosoftReferralStep(failing, { ...input, engagementId })).toMatchObject({
      ok: false,
      retryable: true,
    });
  }
  expect(await deps.engagements.getEngagement(engagementId)).toMatchObject({
    state: 'partnerReferralCreated',
    referrals: [{ role: 'partner', referralId: partner.id }],
  });

  // The same request again, once Partner Center is back: a new run with the same operation id.
  sandbox().clearFaults();
  const partnerAgain = created(await createPartnerReferralStep(deps, input));
  const microsoft = created(
    await createMicrosoftReferralStep(deps, {
      ...input,
      engagementId: partnerAgain.engagementId as string,
    }),
  );

  expect(partnerAgain.id).toBe(partner.id);
  expect(sandbox().referrals.size).toBe(2);
  expect([...sandbox().referrals.values()].every((r) => r.engagementId === engagementId)).toBe(
    true,
  );
  expect(microsoft.target).toEqual([{ type: 'BusinessProfileLocation', id: 'msft' }]);
  expect((await deps.engagements.getEngagement(engagementId))?.state).toBe('complete');
});

test("Microsoft's referral carries the engagement and the deal, not the caller's own bookkeeping", async () => {
  const input = stepInput();
  input.referral = {
    ...input.referral,
    externalReferenceId: 'crm-opportunity-4711',
    status: 'New',
    substatus: 'Received',
    statusReason: 'Qualified by the partner',
  };
  const partner = created(await createPartnerReferralStep(deps, input));
  const microsoft = created(
    await createMicrosoftReferralStep(deps, {
      ...input,
      engagementId: partner.engagementId as string,
    }),
  );

  expect(partner).toMatchObject({
    externalReferenceId: 'crm-opportunity-4711',
    substatus: 'Received',
  });
  expect(microsoft).toMatchObject({
    engagementId: partner.engagementId,
    externalReferenceId: null,
    status: 'New',
    substatus: 'Pending',
    statusReason: null,
    customerProfile: input.referral.customerProfile,
    details: input.referral.details,
    inviteContext: input.referral.inviteContext,
  });
});
