import {
  failedProgress,
  fitsProgress,
  gatewayStepFailure,
  MAX_PROGRESS_CHARS,
  type StepFailure,
} from '../../../../shared/application/shared-referral/flow';
import { errorBody } from '../../../../shared/contract/errors';
import { problems, refusedStep } from '../../../support/failures';

const refusal = (count: number, messageChars = 100): StepFailure =>
  refusedStep({
    message: 'm'.repeat(messageChars),
    details: problems(count, 300),
    innerError: { code: 'inner', text: 'i'.repeat(3000) },
  });

const chars = (value: unknown) => JSON.stringify(value).length;

describe("a failed operation's progress", () => {
  it('carries a failure that fits as it is', () => {
    const small = refusal(1);
    expect(failedProgress(small, 'eng-1')).toEqual({
      step: 'failed',
      failure: small,
      engagementId: 'eng-1',
    });
    expect(fitsProgress(small, 'eng-1')).toBe(true);
  });

  it('abridges a larger one to fit: inner error first, then problems from the end', () => {
    const large = refusal(50);
    const before = JSON.stringify(large);
    const progress = failedProgress(large, 'eng-1');
    expect(chars(progress)).toBeLessThanOrEqual(MAX_PROGRESS_CHARS);
    expect(progress.failureAbridged).toBe(true);
    const kept = progress.failure as Extract<StepFailure, { source: 'partnerCenter' }>;
    expect(kept.failure.innerError).toBeUndefined();
    expect(kept.failure.details?.length).toBeGreaterThan(0);
    expect(kept.failure.details?.[0]?.path).toBe('details.notes0');
    expect(kept.failure).toMatchObject({ status: 400, code: 'invalidInput', kind: 'rejected' });
    // The failure the step recorded is left whole.
    expect(JSON.stringify(large)).toBe(before);
    expect(fitsProgress(large, 'eng-1')).toBe(false);
  });

  it('cuts long texts when even one problem does not fit', () => {
    const progress = failedProgress(refusal(1, 20000), undefined);
    expect(chars(progress)).toBeLessThanOrEqual(MAX_PROGRESS_CHARS);
    const kept = progress.failure as Extract<StepFailure, { source: 'partnerCenter' }>;
    expect(kept.failure.message?.length).toBeLessThan(400);
  });

  it("bounds the gateway's own failures too", () => {
    const failure = gatewayStepFailure(
      'stepFailed',
      errorBody('sharedReferralStepFailed', 'x'.repeat(20000), 'partnerCenter'),
    );
    const progress = failedProgress(failure, undefined);
    expect(chars(progress)).toBeLessThanOrEqual(MAX_PROGRESS_CHARS);
    expect(progress.failure).toMatchObject({
      source: 'gateway',
      error: { code: 'sharedReferralStepFailed' },
    });
  });
});
