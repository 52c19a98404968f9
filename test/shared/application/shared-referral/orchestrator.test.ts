import { sharedReferralOrchestrator } from '../../../../shared/application/shared-referral/orchestrator';
import {
  failureFromMessage,
  failureMessage,
  MICROSOFT_REFERRAL_ACTIVITY,
  PARTNER_REFERRAL_ACTIVITY,
  SHARED_REFERRAL_ORCHESTRATION,
  type SharedReferralInput,
  type StepInput,
  type StepResult,
} from '../../../../shared/application/shared-referral/flow';
import { errorEnvelope } from '../../../../shared/contract/errors';
import type { Referral, ReferralCreateRequest } from '../../../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../../../shared/contract/validate';
import { History, replay, scheduledActivities } from '../../../support/durable-replay';
import { seedRequest } from '../../../support/seed';

const OPERATION = '3f0c6a52-8a51-5d0e-9b4c-2e7f1a9d0c11';

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

const run = (history: History) => replay(sharedReferralOrchestrator, OPERATION, history, input);
const newHistory = () => new History(SHARED_REFERRAL_ORCHESTRATION, input);

test('the first run schedules step 1 with the request and the operation id', async () => {
  const { state } = await run(newHistory());

  expect(state.isDone).toBe(false);
  const [only, ...rest] = scheduledActivities(state);
  expect(rest).toHaveLength(0);
  expect(only?.name).toBe(PARTNER_REFERRAL_ACTIVITY);
  expect(only?.input).toMatchObject({ operationId: OPERATION, referral: input.referral });
  expect(state.customStatus).toEqual({ step: 'partnerReferral' });
});

test('after step 1, step 2 is scheduled with the engagement id step 1 returned', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER_REFERRAL_ACTIVITY), {
    ok: true,
    referral: partner,
  } satisfies StepResult);

  const { state } = await run(history);

  // Actions accumulate over the replayed history: step 1 (done), then the new step 2.
  const scheduled = scheduledActivities(state);
  expect(scheduled.map((s) => s.name)).toEqual([
    PARTNER_REFERRAL_ACTIVITY,
    MICROSOFT_REFERRAL_ACTIVITY,
  ]);
  expect((scheduled[1]?.input as StepInput).engagementId).toBe('eng-1');
  expect(state.customStatus).toEqual({ step: 'microsoftReferral', engagementId: 'eng-1' });
});

test('the completed history gives the engagement and both referrals', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER_REFERRAL_ACTIVITY), { ok: true, referral: partner });
  history.completed(history.scheduled(MICROSOFT_REFERRAL_ACTIVITY), {
    ok: true,
    referral: microsoft,
  });

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

test('a business error in step 2 fails the orchestration at once with the upstream error', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER_REFERRAL_ACTIVITY), { ok: true, referral: partner });
  const rejection = {
    status: 400,
    envelope: errorEnvelope('invalidRequest', 'Partner Center rejected it', 'referral', [], {
      status: 400,
      code: 'invalidRequest',
    }),
  };
  history.completed(history.scheduled(MICROSOFT_REFERRAL_ACTIVITY), {
    ok: false,
    failure: rejection,
  });

  const { state, failure } = await run(history);

  expect(failure).toBeDefined();
  expect(failureFromMessage(failure)).toEqual(rejection);
  expect(state.customStatus).toEqual({ step: 'failed', engagementId: 'eng-1', failure: rejection });
  expect(scheduledActivities(state).map((s) => s.name)).toEqual([
    PARTNER_REFERRAL_ACTIVITY,
    MICROSOFT_REFERRAL_ACTIVITY,
  ]);
});

test('a transient step failure is retried with back-off, then fails with its cause when retries run out', async () => {
  const transient = {
    status: 502,
    envelope: errorEnvelope(
      'upstreamUnavailable',
      'Partner Center failed with 503',
      'partnerCenter',
    ),
  };
  const history = newHistory();
  history.completed(history.scheduled(PARTNER_REFERRAL_ACTIVITY), { ok: true, referral: partner });
  history.failed(history.scheduled(MICROSOFT_REFERRAL_ACTIVITY), failureMessage(transient));

  // The extension schedules the retry itself (a timer, then the activity again); the
  // orchestrator just waits, asking for nothing new.
  const retrying = await run(history);
  expect(retrying.failure).toBeUndefined();
  expect(retrying.state.isDone).toBe(false);
  expect(scheduledActivities(retrying.state)).toHaveLength(2);
  expect(retrying.state.actions.flat()[1]).toMatchObject({
    retryOptions: { maxNumberOfAttempts: 5, firstRetryIntervalInMilliseconds: 5000 },
  });

  // Attempts 2 to 5 fail as well.
  for (let attempt = 2; attempt <= 5; attempt++) {
    history.retryTimer();
    history.failed(history.scheduled(MICROSOFT_REFERRAL_ACTIVITY), failureMessage(transient));
  }
  expect((await run(history)).failure).toBeUndefined();
  history.retryTimer(); // the library concludes "no attempts left" when the next timer fires
  const { failure, state } = await run(history);

  expect(failureFromMessage(failure)).toEqual(transient);
  expect(state.customStatus).toMatchObject({ step: 'failed', engagementId: 'eng-1' });
});

test('replaying the same history gives the same actions', async () => {
  const history = newHistory();
  history.completed(history.scheduled(PARTNER_REFERRAL_ACTIVITY), { ok: true, referral: partner });

  const first = await run(history);
  const second = await run(history);

  expect(JSON.stringify(second.state)).toBe(JSON.stringify(first.state));
});
