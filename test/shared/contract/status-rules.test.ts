import {
  checkCreateStatus,
  checkStatusTransition,
  REFERRAL_STATUSES,
  REFERRAL_SUBSTATUSES,
  type ReferralStatus,
  type ReferralSubstatus,
} from '../../../shared/contract/status-rules';

// The table from the "Create a referral" document, written out independently of the module.
const TABLE: Record<string, { to: string[]; substatus: string[] }> = {
  New: { to: ['New', 'Active', 'Closed'], substatus: ['Pending', 'Received'] },
  Active: { to: ['Active', 'Closed'], substatus: ['Accepted'] },
  Closed: { to: ['Closed'], substatus: ['Won', 'Lost', 'Declined', 'Expired'] },
};

const allPairs = REFERRAL_STATUSES.flatMap((status) =>
  REFERRAL_SUBSTATUSES.map(
    (substatus) => [status, substatus] as [ReferralStatus, ReferralSubstatus],
  ),
);

describe('pairs on create', () => {
  test.each(allPairs)('%s / %s', (status, substatus) => {
    const allowed = TABLE[status]?.substatus.includes(substatus) ?? false;
    expect(checkCreateStatus(status, substatus).ok).toBe(allowed);
  });

  test.each(Object.keys(TABLE))('status %s alone is allowed', (status) => {
    expect(checkCreateStatus(status as ReferralStatus, undefined)).toEqual({ ok: true });
  });

  test('status None is refused with guidance', () => {
    const result = checkCreateStatus('None', undefined);
    expect(result).toMatchObject({ ok: false, code: 'invalidStatus' });
    expect(result.ok || result.message).toMatch(/leave status and substatus out/);
  });

  test('neither is fine; a substatus alone is not', () => {
    expect(checkCreateStatus(undefined, undefined).ok).toBe(true);
    expect(checkCreateStatus(undefined, 'Pending')).toMatchObject({
      ok: false,
      code: 'statusRequired',
    });
  });
});

describe('transitions for later updates', () => {
  const tableStatuses = Object.keys(TABLE) as ReferralStatus[];
  const transitions = tableStatuses.flatMap((from) =>
    tableStatuses.map((to) => [from, to] as const),
  );

  test.each(transitions)('%s -> %s', (from, to) => {
    const substatus = TABLE[to]?.substatus[0] as ReferralSubstatus;
    const allowed = TABLE[from]?.to.includes(to) ?? false;
    const result = checkStatusTransition(from, to, substatus);
    expect(result.ok).toBe(allowed);
    if (!allowed) expect(result).toMatchObject({ code: 'invalidStatusTransition' });
  });

  test('an allowed move with a substatus of another status is refused', () => {
    expect(checkStatusTransition('New', 'Closed', 'Accepted')).toMatchObject({
      ok: false,
      code: 'invalidStatusPair',
    });
  });

  test('nothing moves to None', () => {
    expect(checkStatusTransition('New', 'None', undefined)).toMatchObject({
      ok: false,
      code: 'invalidStatus',
    });
  });
});
