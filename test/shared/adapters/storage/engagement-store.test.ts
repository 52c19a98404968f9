import { randomUUID } from 'node:crypto';
import { EngagementStore } from '../../../../shared/adapters/storage/engagement-store';
import type { Referral } from '../../../../shared/contract/schema';
import { testTable } from '../../../support/tables';

const store = new EngagementStore(testTable('eng'));

const referral = (engagementId: string): Referral =>
  ({
    id: randomUUID(),
    engagementId,
    name: 'Contoso',
    target: [{ type: 'SolutionProfile', id: 'SOL-1' }],
  }) as Referral;

describe('the operation rows past the idempotency window', () => {
  it('are removed with the referrals they hold; the engagement mapping stays', async () => {
    const operationId = randomUUID();
    const engagementId = randomUUID();
    const created = referral(engagementId);
    await store.recordStep({ operationId, role: 'partner', referral: created, caller: 'flow-a' });
    await store.recordOperationFailure(operationId, { kept: true });

    expect(await store.purgeOperationsBefore(new Date(Date.now() - 60000))).toBe(0);
    expect(await store.findStep(operationId, 'partner')).toEqual(created);

    expect(await store.purgeOperationsBefore(new Date(Date.now() + 60000))).toBeGreaterThanOrEqual(
      3,
    );
    expect(await store.findStep(operationId, 'partner')).toBeUndefined();
    expect(await store.operationFailure(operationId)).toBeUndefined();
    const mapping = await store.getEngagement(engagementId);
    expect(mapping?.referrals.map((r) => r.referralId)).toEqual([created.id]);
  });
});
