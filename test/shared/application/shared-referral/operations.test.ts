import {
  waitForOperation,
  type OperationStatus,
  type Orchestrations,
} from '../../../../shared/application/shared-referral/operations';

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
