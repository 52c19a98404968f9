import { sharedReferralOrchestrator } from '../../../../shared/application/shared-referral/orchestrator';
import {
  SHARED_REFERRAL_ORCHESTRATION,
  stepActivity,
  type SharedReferralInput,
  type StepFailure,
  type StepInput,
  type StepOutcome,
} from '../../../../shared/application/shared-referral/flow';
import type { Referral, ReferralCreateRequest } from '../../../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../../../shared/contract/validate';
import { History, replay, scheduledActivities } from '../../../support/durable-replay';
import { seedRequest } from '../../../support/seed';

const OPERATION = '3f0c6a52-8a51-5d0e-9b4c-2e7f1a9d0c11';
const PARTNER = stepActivity('partner');
const MICROSOFT = stepActivity('microsoft');

function seedShared(): ReferralCreateRequest {
  const result = validateReferralCreateRequest(seedRequest());
  if (!result.ok) throw new Error('the seed must validate');
  return result.value;
}

const input: SharedReferralInput = {
  referral: seedShared(),
  requestHash: 'hash',
  caller: 'anonymous',
  keySource: 'header',
  correlationId: 'corr',
  acceptedAt: '2026-11-24T10:00:00.000Z',
};

const referral = (id: string, engagementId: string, target: Referral['target']): Referral =>
  ({ ...input.referral, id, engagementId, target }) as Referral;
const partner = referral('p-1', 'eng-1', [{ type: 'SolutionProfile', id: 'SOL-34104-EBB' }]);
const microsoft = referral('m-1', 'eng-1', [{ type: 'BusinessProfileLocation', id: 'msft' }]);
const created = (referral: Referral): StepOutcome => ({ ok: true, referral });

const rejection: StepFailure = {
  source: 'partnerCenter',
  failure: {
    kind: 'rejected',
    operation: 'create a referral',
    status: 400,
    code: 'invalidRequest',
    message: 'Partner Center rejected it',
    created: 'no',
    retryable: false,
  },
};
const outage: StepFailure = {
  source: 'partnerCenter',
  failure: {
    kind: 'unavailable',
    operation: 'create a referral',
    status: 503,
    created: 'unknown',
    retryable: true,
  },
};

const run = (history: History, given: SharedReferralInput = input) =>
  replay(sharedReferralOrchestrator, OPERATION, history, given);
const newHistory = (given: SharedReferralInput = input) =>
  new History(SHARED_REFERRAL_ORCHESTRATION, given);

test('the first run schedules step 1 with the request and the operation id', async () => {
  const { state } = await run(newHistory());

  expect(state.isDone).toBe(false);
  const [only, ...rest] = scheduledActivities(state);
  expect(rest).toHaveLength(0);
  expect(only?.name).toBe('createPartnerReferral');
  expect(only?.input).toMatchObject({ operationId: OPERATION, referral: input.referral });
  expect(state.customStatus).toEqual({ step: 'partnerReferral' });
});

test('after step 1, step 2 is scheduled with the engagement id step 1 returned', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));

  const { state } = await run(history);

  // Actions accumulate over the replayed history: step 1 (done), then the new step 2.
  const scheduled = scheduledActivities(state);
  expect(scheduled.map((s) => s.name)).toEqual([
    'createPartnerReferral',
    'createMicrosoftReferral',
  ]);
  expect((scheduled[1]?.input as StepInput).engagementId).toBe('eng-1');
  expect(state.customStatus).toEqual({ step: 'microsoftReferral', engagementId: 'eng-1' });
});

test('the completed history gives the engagement and both referrals', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));
  history.completed(history.scheduled(MICROSOFT), created(microsoft));

  const { state } = await run(history);

  expect(state.isDone).toBe(true);
  expect(state.output).toEqual({
    operationId: OPERATION,
    engagementId: 'eng-1',
    partnerReferral: partner,
    microsoftReferral: microsoft,
  });
  expect(state.customStatus).toEqual({ step: 'completed', engagementId: 'eng-1' });
});

test('a step resent after an unknown outcome is named on the operation, not hidden', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));
  history.completed(history.scheduled(MICROSOFT), {
    ok: true,
    referral: microsoft,
    resentAfterUnknownOutcome: true,
  });

  const { state } = await run(history);

  expect(state.output).toMatchObject({ resentAfterUnknownOutcome: ['microsoft'] });
});

test('a refusal in step 2 fails the orchestration at once, the cause kept as data', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));
  history.completed(history.scheduled(MICROSOFT), {
    ok: false,
    failure: rejection,
    retryable: false,
  });

  const { state, failure } = await run(history);

  expect(failure).toMatch(/Partner Center rejected/);
  expect(state.customStatus).toEqual({ step: 'failed', engagementId: 'eng-1', failure: rejection });
  expect(scheduledActivities(state).map((s) => s.name)).toEqual([PARTNER, MICROSOFT]);
});

test('a refusal listing many problems fails the operation with a custom status the extension takes', async () => {
  const many: StepFailure = {
    source: 'partnerCenter',
    failure: {
      ...(rejection.failure as Extract<StepFailure, { source: 'partnerCenter' }>['failure']),
      details: Array.from({ length: 50 }, (_, i) => ({
        path: `details.notes${i}`,
        code: 'invalidValue',
        message: 'not accepted; '.repeat(70),
      })),
      innerError: { trace: 'x'.repeat(4000) },
    },
  };
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));
  history.completed(history.scheduled(MICROSOFT), { ok: false, failure: many, retryable: false });

  const { state } = await run(history);

  // DurableOrchestrationContext.SetCustomStatus fails the instance above 16 KB of UTF-16 JSON.
  expect(JSON.stringify(state.customStatus).length * 2).toBeLessThan(16 * 1024);
  expect(state.customStatus).toMatchObject({
    step: 'failed',
    engagementId: 'eng-1',
    failureAbridged: true,
    failure: { source: 'partnerCenter', failure: { status: 400, code: 'invalidRequest' } },
  });
});

test('a retryable failure is tried again after a durable timer, then fails with its cause', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));
  const failed: StepOutcome = { ok: false, failure: outage, retryable: true };
  history.completed(history.scheduled(MICROSOFT), failed);

  // The orchestrator decides the retry: a timer 5 s after the failed attempt.
  const retrying = await run(history);
  expect(retrying.failure).toBeUndefined();
  expect(retrying.state.isDone).toBe(false);
  expect(retrying.state.actions.flat()[2]).toMatchObject({ fireAt: expect.any(Date) });

  // Attempts 2 to 5 fail as well, with waits of 5, 10, 20 and 40 s before them.
  for (const delay of [5000, 10000, 20000, 40000]) {
    history.timer(delay);
    history.completed(history.scheduled(MICROSOFT), failed);
  }
  const { failure, state } = await run(history);

  expect(failure).toBeDefined();
  expect(state.customStatus).toEqual({ step: 'failed', engagementId: 'eng-1', failure: outage });
  expect(scheduledActivities(state).filter((s) => s.name === MICROSOFT)).toHaveLength(5);
});

test('the retry policy comes with the input', async () => {
  const patient = { ...input, retry: { maxAttempts: 2, firstDelayMs: 250, maxDelayMs: 250 } };
  const history = newHistory(patient);
  const failed: StepOutcome = { ok: false, failure: outage, retryable: true };
  history.completed(history.scheduled(PARTNER), failed);
  const waiting = await run(history, patient);
  const timer = waiting.state.actions.flat()[1] as { fireAt: Date };
  const startedAt = new Date('2026-11-24T10:00:01Z').getTime();
  expect(new Date(timer.fireAt).getTime() - startedAt).toBe(250);

  history.timer(250);
  history.completed(history.scheduled(PARTNER), failed);
  const { failure, state } = await run(history, patient);
  expect(failure).toBeDefined();
  expect(state.customStatus).toEqual({ step: 'failed', failure: outage });
});

test('an activity that throws is retried, and when it keeps throwing the step is named', async () => {
  const retry = { maxAttempts: 2, firstDelayMs: 1000, maxDelayMs: 1000 };
  const given = { ...input, retry };
  const history = newHistory(given);
  history.completed(history.scheduled(PARTNER), created(partner));
  history.failed(history.scheduled(MICROSOFT), 'Table Storage unreachable');
  history.timer(1000);
  history.failed(history.scheduled(MICROSOFT), 'Table Storage unreachable');

  const { failure, state } = await run(history, given);

  expect(failure).toBeDefined();
  expect(state.customStatus).toMatchObject({
    step: 'failed',
    engagementId: 'eng-1',
    failure: {
      source: 'gateway',
      kind: 'stepFailed',
      error: { code: 'sharedReferralStepFailed' },
    },
  });
});

test('step 1 answered without an engagement id fails at once, saying so', async () => {
  const history = newHistory();
  const { engagementId: _none, ...withoutEngagement } = partner;
  history.completed(history.scheduled(PARTNER), created(withoutEngagement as Referral));

  const { failure, state } = await run(history);

  expect(failure).toBeDefined();
  expect(state.customStatus).toMatchObject({
    step: 'failed',
    failure: { source: 'gateway', error: { code: 'engagementIdMissing' } },
  });
  expect(scheduledActivities(state)).toHaveLength(1);
});

test('replaying the same history gives the same actions', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER), created(partner));

  const first = await run(history);
  const second = await run(history);

  expect(JSON.stringify(second.state)).toBe(JSON.stringify(first.state));
});
