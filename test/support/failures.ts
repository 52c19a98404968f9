import type { PartnerCenterFailure } from '../../shared/adapters/partner-center/errors';
import type { StepFailure } from '../../shared/application/shared-referral/flow';

/** A step refused by Partner Center (a business 400), with what the test adds to it. */
export function refusedStep(overrides: Partial<PartnerCenterFailure> = {}): StepFailure {
  return {
    source: 'partnerCenter',
    failure: {
      kind: 'rejected',
      operation: 'create a referral',
      status: 400,
      code: 'invalidInput',
      created: 'no',
      retryable: false,
      ...overrides,
    },
  };
}

/** `count` problems of about `chars` characters each, as Partner Center lists them. */
export function problems(count: number, chars = 400) {
  return Array.from({ length: count }, (_, i) => ({
    path: `details.notes${i}`,
    code: 'invalidValue',
    message: `problem ${i}: ${'not accepted; '.repeat(Math.ceil(chars / 14))}`.slice(0, chars),
  }));
}
