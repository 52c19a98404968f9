import { purgeExpired } from '../../../shared/application/retention';

describe('purging what the idempotency window kept', () => {
  it('removes finished operations, their rows and the expired records, with the window as cutoff', async () => {
    const calls: string[] = [];
    const now = new Date('2026-11-27T03:30:00Z');
    const purged = await purgeExpired({
      windowMs: 30 * 86400000,
      now: () => now,
      operations: {
        purgeFinishedBefore: async (cutoff) => {
          calls.push(`operations before ${cutoff.toISOString()}`);
          return 2;
        },
      },
      engagements: {
        purgeOperationsBefore: async (cutoff) => {
          calls.push(`operation rows before ${cutoff.toISOString()}`);
          return 5;
        },
      },
      idempotency: {
        purgeExpired: async () => {
          calls.push('idempotency records');
          return 7;
        },
      },
    });
    expect(purged).toEqual({ idempotencyRecords: 7, operations: 2, operationRows: 5 });
    expect(calls).toEqual([
      'operations before 2026-10-28T03:30:00.000Z',
      'operation rows before 2026-10-28T03:30:00.000Z',
      'idempotency records',
    ]);
  });
});
