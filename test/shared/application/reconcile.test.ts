import { CLOCK_SKEW_MS, findCreated, isCreatedFrom } from '../../../shared/application/reconcile';
import type { Referral, ReferralCreateRequest } from '../../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import { independentSeedRequest } from '../../support/seed';

function request(): ReferralCreateRequest {
  const result = validateReferralCreateRequest({
    ...independentSeedRequest(),
    externalReferenceId: 'crm-42',
  });
  if (!result.ok) throw new Error('the seed must validate');
  return result.value;
}

const sentAt = new Date('2026-11-27T10:00:00Z');
const listed = (overrides: Record<string, unknown>, minutesAfter = 1): Referral =>
  ({
    ...request(),
    id: `id-${Math.random()}`,
    engagementId: 'eng',
    status: 'Active', // the service may move the status on its own: not compared
    createdDateTime: new Date(sentAt.getTime() + minutesAfter * 60000).toISOString(),
    ...overrides,
  }) as Referral;

const noClaims = { claimOf: async () => undefined };

/** A lister answering these pages, newest first, recording the filters it was asked for. */
function lister(pages: Referral[][]) {
  const asked: unknown[] = [];
  return {
    asked,
    async *listReferralPages(filter: unknown) {
      asked.push(filter);
      for (const page of pages) yield page;
    },
  };
}

describe('a referral created by a create whose outcome was unknown', () => {
  it('matches on what was sent and the service keeps, not on what it changes', () => {
    expect(isCreatedFrom(request(), listed({}))).toBe(true);
    expect(isCreatedFrom(request(), listed({ externalReferenceId: 'crm-43' }))).toBe(false);
    expect(
      isCreatedFrom(request(), listed({ details: { ...request().details, dealValue: 1 } })),
    ).toBe(false);
  });

  it('is found on a later page, listed newest first on the documented country filter', async () => {
    const match = listed({});
    const pages = lister([[listed({ name: 'Other' }, 3)], [listed({ name: 'Another' }, 2), match]]);
    const found = await findCreated(pages, request(), sentAt, noClaims, 'mine');
    expect(found?.id).toBe(match.id);
    expect(pages.asked).toEqual([
      expect.objectContaining({ orderBy: 'createdDateTime desc', country: 'US' }),
    ]);
  });

  it('is never one recorded under another request, and not one older than the window', async () => {
    const taken = listed({});
    const old = listed({}, -(CLOCK_SKEW_MS / 60000) - 1);
    const claims = { claimOf: async (id: string) => (id === taken.id ? 'another' : undefined) };
    const found = await findCreated(lister([[taken, old]]), request(), sentAt, claims, 'mine');
    expect(found).toBeUndefined();
  });
});
