/**
 * Deal types in Partner Center's terms (Private, Partner-led, Co-sell) and the gateway's co-sell
 * preconditions, which are policy: named so in their errors, and configurable.
 */
import { DEFAULT_POLICY, type ReferralPolicy } from '../../../shared/contract/policy';
import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import { independentSeedRequest, microsoftSample, seedRequest, setPath } from '../../support/seed';

function accepted(input: unknown, policy?: ReferralPolicy) {
  const result = validateReferralCreateRequest(input, policy);
  if (!result.ok) throw new Error(JSON.stringify(result.error.error.details, null, 2));
  return result.value;
}

function refused(input: unknown, policy?: ReferralPolicy) {
  const result = validateReferralCreateRequest(input, policy);
  if (result.ok) throw new Error('expected a refusal');
  return result.error.error.details.map((d) => [d.path, d.code, d.message]);
}

describe('dealType', () => {
  test('Private sets the sellers flag to false; it is never sent on', () => {
    const value = accepted({ ...independentSeedRequest(), dealType: 'Private' });
    expect(value.consent.consentToShareReferralWithMicrosoftSellers).toBe(false);
    expect('dealType' in value).toBe(false);
  });

  test('PartnerLed shares with Microsoft sellers without asking for help', () => {
    const value = accepted({ ...independentSeedRequest(), dealType: 'partnerled' });
    expect(value.consent.consentToShareReferralWithMicrosoftSellers).toBe(true);
    expect(value.inviteContext?.assistanceRequestCode).toBeUndefined();
  });

  test('CoSell needs the help code and shares with Microsoft sellers', () => {
    const input = { ...independentSeedRequest(), dealType: 'CoSell' };
    expect(refused(input)).toEqual([
      [
        '$.inviteContext.assistanceRequestCode',
        'required',
        expect.stringMatching(/dealType CoSell/),
      ],
    ]);
    setPath(input, 'inviteContext.assistanceRequestCode', 'ProofOfConceptOrDemo');
    const value = accepted(input);
    expect(value.consent.consentToShareReferralWithMicrosoftSellers).toBe(true);
    expect(value.inviteContext?.assistanceRequestCode).toBe('ProofOfConceptOrDemo');
  });

  test('raw fields that disagree with the deal type are refused, each named', () => {
    const input = setPath(
      { ...seedRequest(), dealType: 'Private' },
      'consent.consentToShareReferralWithMicrosoftSellers',
      true,
    );
    setPath(input, 'inviteContext.assistanceRequestCode', 'QuotesOrLicensing');
    expect(refused(input).map(([path, code]) => [path, code])).toEqual([
      ['$.consent.consentToShareReferralWithMicrosoftSellers', 'dealTypeMismatch'],
      ['$.inviteContext.assistanceRequestCode', 'dealTypeMismatch'],
      ['$.type', 'dealTypeMismatch'],
    ]);
  });

  test('an unknown deal type names the allowed ones', () => {
    expect(refused({ ...independentSeedRequest(), dealType: 'Secret' })).toEqual([
      ['$.dealType', 'invalidValue', 'must be one of: Private, PartnerLed, CoSell'],
    ]);
  });

  test('help codes are open: known values offered, a new one accepted', () => {
    const input = setPath(
      independentSeedRequest(),
      'inviteContext.assistanceRequestCode',
      'FY27Code',
    );
    expect(accepted(input).inviteContext?.assistanceRequestCode).toBe('FY27Code');
  });
});

describe('co-sell preconditions (gateway policy)', () => {
  test("the seed's shared example meets them", () => {
    expect(accepted(seedRequest()).type).toBe('Shared');
  });

  test('a referral shared with Microsoft that misses them is refused, naming the policy', () => {
    const input = seedRequest();
    setPath(input, 'customerProfile.team', []);
    setPath(input, 'details.requirements.solutions', []);
    setPath(input, 'details.dealValue', 0);
    setPath(input, 'consent.consentToShareReferralWithMicrosoftSellers', false);
    const problems = refused(input);
    expect(problems.map(([path, code]) => [path, code])).toEqual([
      ['$.customerProfile.team', 'coSellPrecondition'],
      ['$.details.requirements.solutions', 'coSellPrecondition'],
      ['$.details.dealValue', 'coSellPrecondition'],
      ['$.consent.consentToShareReferralWithMicrosoftSellers', 'coSellPrecondition'],
    ]);
    for (const [, , message] of problems) expect(message).toMatch(/gateway policy coSellRequires/);
  });

  test('an independent referral shared with Microsoft sellers is held to them too', () => {
    const input = setPath(
      independentSeedRequest(),
      'consent.consentToShareReferralWithMicrosoftSellers',
      true,
    );
    setPath(input, 'details.requirements.solutions', []);
    expect(refused(input).map(([path]) => path)).toEqual(['$.details.requirements.solutions']);
  });

  test('a private deal is not: it is not shared with Microsoft', () => {
    const input = microsoftSample('create-private-deal-current.reconstructed.json');
    setPath(input, 'customerProfile.team', []);
    expect(accepted(input).customerProfile.team).toEqual([]);
  });

  test('the policy decides which apply', () => {
    const input = setPath(seedRequest(), 'details.requirements.solutions', []);
    const relaxed: ReferralPolicy = { ...DEFAULT_POLICY, coSellRequires: ['customerContact'] };
    expect(accepted(input, relaxed).details.requirements?.solutions).toEqual([]);
  });
});

describe('size limits (gateway policy)', () => {
  test('named as policy and configurable', () => {
    const notes = 'n'.repeat(5000);
    const input = setPath(independentSeedRequest(), 'details.notes', notes);
    expect(refused(input)).toEqual([
      [
        '$.details.notes',
        'tooLong',
        'must be at most 4000 characters (gateway policy maxNotesLength)',
      ],
    ]);
    expect(accepted(input, { ...DEFAULT_POLICY, maxNotesLength: 8000 }).details.notes).toBe(notes);
  });

  test('no published example comes near the defaults', () => {
    const longest = (value: unknown): number =>
      typeof value === 'string'
        ? value.length
        : value && typeof value === 'object'
          ? Math.max(0, ...Object.values(value).map(longest))
          : 0;
    for (const file of [
      'create-shared-2019.request.json',
      'create-private-deal-current.reconstructed.json',
    ]) {
      expect(longest(microsoftSample(file))).toBeLessThan(DEFAULT_POLICY.maxTextLength);
    }
  });
});
