/**
 * Microsoft's own examples, old and current (`../shared/samples/microsoft/`): every published
 * create request is accepted, and every referral in a published answer parses with the answer
 * schema (what the connector describes and the end-to-end tests check real answers against).
 */
import { ReferralSchema } from '../../../shared/contract/schema';
import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import {
  microsoftSample,
  PUBLISHED_CREATE_REQUESTS,
  publishedReferralAnswers,
  seedRequest,
} from '../../support/seed';

test.each(PUBLISHED_CREATE_REQUESTS)('the published create request %s is accepted', (file) => {
  const result = validateReferralCreateRequest(microsoftSample(file));
  if (!result.ok) throw new Error(JSON.stringify(result.error.error.details, null, 2));
  // Everything it carries is a property the contract knows.
  expect(result.forwarded).toEqual([]);
});

test('the current private deal is forwarded in canonical camelCase, as published otherwise', () => {
  const result = validateReferralCreateRequest(
    microsoftSample('create-private-deal-current.reconstructed.json'),
  );
  if (!result.ok) throw new Error('refused');
  expect(result.value.consent).toEqual({
    consentToToShareInfoWithOthers: true,
    consentToContact: true,
    consentToMicrosoftToContactSpecificPartners: true,
    consentToShareReferralWithMicrosoftSellers: false,
  });
  expect(result.value.team).toEqual([
    { firstName: 'John', lastName: 'Doe', phoneNumber: '1231231234', email: '' },
  ]);
  expect(result.value.details.requirements).toEqual({
    solutions: [
      {
        type: 'Name',
        id: 'SOL-15974-MQF',
        name: 'Contoso-Ale_Test',
        publisherName: 'Contoso_Test',
        solutionType: '3P',
      },
    ],
    additionalRequirements: {
      iot: {},
      attributes: [{ id: 'HaveNotDecided', type: 'CustomerMarketplaceIntent' }],
    },
  });
  expect(result.value.target).toEqual([]);
});

test('the seed request is accepted as Shared and as Independent', () => {
  expect(validateReferralCreateRequest(seedRequest()).ok).toBe(true);
  const { target: _target, ...independent } = seedRequest();
  expect(validateReferralCreateRequest({ ...independent, type: 'Independent' }).ok).toBe(true);
});

const answers = publishedReferralAnswers();

test('the published answers hold referrals to parse', () => {
  expect(answers.length).toBeGreaterThanOrEqual(5);
});

test.each(answers)('the referral in %s parses with the answer schema', (_name, referral) => {
  const parsed = ReferralSchema.safeParse(referral);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues, null, 2));
  // Nothing is lost: the parse keeps every property, known or not.
  expect(parsed.data).toEqual(referral);
});

test('the 2019 list answer with ids: {} and the current one with an ids array both parse', () => {
  const list2019 = microsoftSample('list-2019.response.json').value as {
    customerProfile: unknown;
  }[];
  expect(list2019.some((r) => JSON.stringify(r.customerProfile).includes('"ids":{}'))).toBe(true);
  const byId = microsoftSample('get-by-id-2019.response.json');
  expect(JSON.stringify(byId)).toContain('"profileType":"Duns"');
});
