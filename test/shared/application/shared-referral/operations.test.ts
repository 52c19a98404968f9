import {
  operationOutcome,
  waitForOperation,
  type OperationStatus,
  type Orchestrations,
} from '../../../../shared/application/shared-referral/operations';
import {
  failedProgress,
  type StepFailure,
} from '../../../../shared/application/shared-referral/flow';
import { createLogger } from '../../../../shared/logging';
import { problems, refusedStep } from '../../../support/failures';
import { InvocationContext } from '@azure/functions';

/** Running for the given number of status reads, then completed. */
function operationDoneAfter(reads: number): Orchestrations & { reads: number } {
  const fake = {
    reads: 0,
    async status(): Promise<OperationStatus> {
      fake.reads++;
      return { runtimeStatus: fake.reads > reads ? 'Completed' : 'Running', output: {} };
    },
    async start() {},
  };
  return fake;
}

test('waiting polls quickly at first, then every pollMs, and stops when done', async () => {
  const sleeps: number[] = [];
  let clock = 0;
  const operations = operationDoneAfter(7);
  const status = await waitForOperation(operations, 'op', 10000, {
    pollMs: 500,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  expect(status?.runtimeStatus).toBe('Completed');
  expect(sleeps).toEqual([50, 100, 200, 400, 500, 500, 500]);
});

test('waiting ends at the deadline with the operation still running', async () => {
  let clock = 0;
  const status = await waitForOperation(operationDoneAfter(1000), 'op', 1000, {
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  expect(status?.runtimeStatus).toBe('Running');
  expect(clock).toBe(1000);
});

describe("a failed operation's outcome", () => {
  const whole: StepFailure = refusedStep({ details: problems(40, 390) });
  const failed: OperationStatus = {
    runtimeStatus: 'Failed',
    customStatus: failedProgress(whole, 'eng-1'),
  };
  const log = createLogger(new InvocationContext(), {});

  it('is the whole failure the step kept when the progress carries it abridged', async () => {
    const kept = { operationFailure: async () => whole };
    const outcome = await operationOutcome('op', failed, kept, log);
    expect(outcome).toEqual({ state: 'failed', failure: whole });
  });

  it('is the abridged failure when the whole one cannot be read', async () => {
    const down = {
      operationFailure: async () => {
        throw new Error('storage down');
      },
    };
    const outcome = await operationOutcome('op', failed, down, log);
    expect(outcome.state).toBe('failed');
    const failure = (outcome as { failure: Extract<StepFailure, { source: 'partnerCenter' }> })
      .failure;
    expect(failure.failure.code).toBe('invalidInput');
    expect(failure.failure.details?.length).toBeLessThan(40);
  });
});
