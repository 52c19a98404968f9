/** What an operator's list says of each operation: its state, step, error and age. */
import { listOperations } from '../../../shared/application/operations-admin';
import type { SharedReferralInput } from '../../../shared/application/shared-referral/flow';
import type {
  Instances,
  ListedInstance,
} from '../../../shared/application/shared-referral/operations';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW - m * 60000);

const instances: ListedInstance[] = [
  {
    instanceId: 'fresh',
    runtimeStatus: 'Running',
    customStatus: { step: 'partnerReferral' },
    createdTime: minutesAgo(2),
    lastUpdatedTime: minutesAgo(1),
  },
  {
    instanceId: 'stale',
    runtimeStatus: 'Running',
    customStatus: { step: 'microsoftReferral', engagementId: 'e1' },
    createdTime: minutesAgo(120),
    lastUpdatedTime: minutesAgo(90),
  },
  {
    instanceId: 'broken',
    runtimeStatus: 'Failed',
    customStatus: {
      step: 'failed',
      failure: {
        source: 'partnerCenter',
        failure: {
          kind: 'unavailable',
          operation: 'create a referral',
          status: 503,
          code: 'serviceNotAvailable',
          message: 'down',
          created: 'unknown',
          retryable: true,
        },
      },
    },
    createdTime: minutesAgo(30),
    lastUpdatedTime: minutesAgo(29),
  },
];

const fake: Instances<SharedReferralInput> = {
  status: async () => undefined,
  start: async () => undefined,
  list: async (states) => instances.filter((i) => states.includes(i.runtimeStatus)),
};

test('failed ones with their error; stuck ones are running and unchanged past the threshold', async () => {
  const failed = await listOperations(fake, 'failed', 30 * 60000, NOW);
  expect(failed).toEqual([
    expect.objectContaining({
      operationId: 'broken',
      state: 'failed',
      error: { code: 'serviceNotAvailable', message: 'down' },
      ageMinutes: 30,
    }),
  ]);
  const stuck = await listOperations(fake, 'stuck', 30 * 60000, NOW);
  expect(stuck.map((o) => [o.operationId, o.state, o.step, o.engagementId])).toEqual([
    ['stale', 'stuck', 'microsoftReferral', 'e1'],
  ]);
  const running = await listOperations(fake, 'running', 30 * 60000, NOW);
  expect(running.map((o) => [o.operationId, o.state])).toEqual([
    ['stale', 'stuck'],
    ['fresh', 'running'],
  ]);
});
