import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import { DEFAULT_POLICY } from '../../../shared/contract/policy';
import { independentSeedRequest, seedRequest, setPath } from '../../support/seed';

function problems(input: unknown) {
  const result = validateReferralCreateRequest(input);
  if (result.ok) throw new Error('expected the request to be rejected');
  expect(result.error.error.code).toBe('invalidRequest');
  expect(result.error.error.target).toBe('referral');
  return result.error.error.details;
}

function accepted(input: unknown) {
  const result = validateReferralCreateRequest(input);
  if (!result.ok) throw new Error(JSON.stringify(result.error, null, 2));
  return result.value;
}

describe('the seed example', () => {
  test('validates and comes out unchanged', () => {
    expect(accepted(seedRequest())).toEqual(seedRequest());
  });
});

describe('friendly input, canonical output', () => {
  test('PascalCase property names, as the documentation tables write them, become camelCase', () => {
    const pascal = {
      Name: 'Deal',
      ExternalReferenceID: 'D365-0001',
      ReferralType: 'Independent',
      CustomerProfile: {
        Name: 'Contoso',
        Address: { AddressLine1: 'One Microsoft Way', City: 'Redmond', Country: 'US' },
        Team: [{ FirstName: 'Sue', LastName: 'Smith', Email: 'sue@contoso.com' }],
      },
      Consent: { ConsentToShareInfoWithOthers: true, ConsentToContact: false },
      Details: { DealValue: 10, Currency: 'usd', Requirements: { Products: [{ Id: 'Azure' }] } },
    };
    expect(accepted(pascal)).toEqual({
      name: 'Deal',
      externalReferenceId: 'D365-0001',
      type: 'Independent',
      customerProfile: {
        name: 'Contoso',
        address: { addressLine1: 'One Microsoft Way', city: 'Redmond', country: 'US' },
        team: [{ firstName: 'Sue', lastName: 'Smith', email: 'sue@contoso.com' }],
      },
      consent: { consentToToShareInfoWithOthers: true, consentToContact: false },
      details: { dealValue: 10, currency: 'USD', requirements: { products: [{ id: 'Azure' }] } },
    });
  });

  test('referralType is accepted for type, and enum values in any case', () => {
    const input = seedRequest();
    delete input.type;
    input.referralType = 'independent';
    input.qualification = 'salesqualified';
    delete input.target;
    const value = accepted(input);
    expect(value.type).toBe('Independent');
    expect(value.qualification).toBe('SalesQualified');
    expect(value).not.toHaveProperty('referralType');
  });

  test('newer documented optional fields pass through', () => {
    const input = independentSeedRequest();
    Object.assign(input, {
      partnerRole: 'Implementation',
      solutionArea: 'AI',
      solutionPlay: 'Copilot',
    });
    setPath(input, 'consent.consentToShareReferralWithMicrosoftSellers', false);
    setPath(input, 'consent.consentToMicrosoftToContactSpecificPartners', true);
    setPath(input, 'details.requirements.additionalRequirements', {
      iot: {},
      attributes: [{ id: 'HaveNotDecided', type: 'CustomerMarketplaceIntent' }],
    });
    const value = accepted(input);
    expect(value).toMatchObject({
      partnerRole: 'Implementation',
      solutionArea: 'AI',
      solutionPlay: 'Copilot',
    });
    expect(value.consent.consentToShareReferralWithMicrosoftSellers).toBe(false);
    expect(value.details.requirements?.additionalRequirements).toEqual({
      iot: {},
      attributes: [{ id: 'HaveNotDecided', type: 'CustomerMarketplaceIntent' }],
    });
  });

  test('tag ids are open values, not closed lists', () => {
    const input = seedRequest();
    setPath(input, 'details.requirements.products', [{ id: 'SomeProductLaunchedNextYear' }]);
    expect(accepted(input).details.requirements?.products).toEqual([
      { id: 'SomeProductLaunchedNextYear' },
    ]);
  });
});

describe('every problem is reported with its path', () => {
  test('the four required properties', () => {
    expect(problems({ name: 'x' }).map((d) => [d.path, d.code])).toEqual([
      ['$.type', 'required'],
      ['$.customerProfile', 'required'],
      ['$.consent', 'required'],
      ['$.details', 'required'],
    ]);
  });

  test('a body that is not an object', () => {
    expect(problems([1, 2])).toEqual([
      { path: '$', code: 'invalidType', message: 'must be a JSON object, not an array' },
    ]);
  });

  test.each([
    ['type', 'Exclusive', '$.type', 'invalidValue', /Independent, Shared/],
    [
      'customerProfile.address.country',
      'USA',
      '$.customerProfile.address.country',
      'invalidCountry',
      /ISO 3166/,
    ],
    [
      'customerProfile.address.country',
      'ZZ',
      '$.customerProfile.address.country',
      'invalidCountry',
      /ISO 3166/,
    ],
    ['details.currency', 'DOLLARS', '$.details.currency', 'invalidCurrency', /ISO 4217/],
    [
      'customerProfile.team[1].email',
      'joe.hansen-at-contoso',
      '$.customerProfile.team[1].email',
      'invalidEmail',
      /e-mail/,
    ],
    ['details.dealValue', -1, '$.details.dealValue', 'outOfRange', /0 or more/],
    ['details.dealValue', '50000', '$.details.dealValue', 'invalidType', /number/],
    [
      'details.closingDateTime',
      '2018-11-14',
      '$.details.closingDateTime',
      'invalidDateTime',
      /UTC/,
    ],
    [
      'details.closingDateTime',
      '2018-11-14T00:00:00+02:00',
      '$.details.closingDateTime',
      'invalidDateTime',
      /UTC/,
    ],
    [
      'details.closingDateTime',
      '2018-02-30T00:00:00Z',
      '$.details.closingDateTime',
      'invalidDateTime',
      /UTC/,
    ],
    [
      'consent.consentToContact',
      'yes',
      '$.consent.consentToContact',
      'invalidType',
      /true or false/,
    ],
    ['customerProfile.name', '', '$.customerProfile.name', 'empty', /empty/],
    ['name', 'x'.repeat(DEFAULT_POLICY.maxTextLength + 1), '$.name', 'tooLong', /at most 256/],
    [
      'details.requirements.products[0].id',
      '',
      '$.details.requirements.products[0].id',
      'empty',
      /empty/,
    ],
    ['target[0].type', 'Partner', '$.target[0].type', 'invalidValue', /SolutionProfile/],
    [
      'customerProfile.team[0].phoneNumber',
      '1'.repeat(257),
      '$.customerProfile.team[0].phoneNumber',
      'tooLong',
      /at most 256 characters \(gateway policy maxTextLength\)/,
    ],
  ])('%s = %j', (path, value, reportedPath, code, message) => {
    const details = problems(setPath(seedRequest(), path, value));
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ path: reportedPath, code });
    expect(details[0]?.message).toMatch(message);
  });

  test('a non-finite deal value (1e400 parses to Infinity) is refused', () => {
    const input = JSON.parse(
      JSON.stringify(seedRequest()).replace('"dealValue":50000', '"dealValue":1e400'),
    );
    expect(problems(input)[0]).toMatchObject({
      path: '$.details.dealValue',
      message: 'must be a finite number',
    });
  });

  test('arrays are capped', () => {
    const team = Array.from({ length: DEFAULT_POLICY.maxListItems + 1 }, () => ({
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.example',
    }));
    expect(problems(setPath(seedRequest(), 'team', team))[0]).toMatchObject({
      path: '$.team',
      code: 'tooMany',
    });
  });

  test('a deal value needs its currency', () => {
    expect(problems(setPath(seedRequest(), 'details.currency', undefined))).toEqual([
      {
        path: '$.details.currency',
        code: 'required',
        message: 'is required when details.dealValue is set',
      },
    ]);
  });

  test('all problems come in one answer, not just the first', () => {
    const input = seedRequest();
    setPath(input, 'type', 'Exclusive');
    setPath(input, 'customerProfile.address.country', 'Narnia');
    setPath(input, 'customerProfile.team[0].email', 'nope');
    setPath(input, 'details.currency', 'XYZ');
    const result = validateReferralCreateRequest(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.message).toBe(
      'The referral has 4 problems; each is listed in details with its path.',
    );
    expect(result.error.error.details.map((d) => d.path).sort()).toEqual([
      '$.customerProfile.address.country',
      '$.customerProfile.team[0].email',
      '$.details.currency',
      '$.type',
    ]);
  });

  test('a problem is never reported with the offending value (it may be contact data)', () => {
    const details = problems(
      setPath(seedRequest(), 'customerProfile.team[0].email', 'sue.smith-at-contoso'),
    );
    expect(JSON.stringify(details)).not.toContain('sue.smith-at-contoso');
  });
});

describe('property names', () => {
  test('an unknown property is named, with the closest known name suggested', () => {
    const input = seedRequest();
    input.custmerProfile = input.customerProfile;
    delete input.customerProfile;
    expect(problems(input)).toEqual([
      {
        path: '$.custmerProfile',
        code: 'unknownProperty',
        message: "unknown property 'custmerProfile'; did you mean 'customerProfile'?",
      },
      { path: '$.customerProfile', code: 'required', message: 'is required' },
    ]);
  });

  test('a nested near miss is refused too, with the known name', () => {
    const details = problems(setPath(seedRequest(), 'details.requirements.industires', []));
    expect(details).toEqual([
      {
        path: '$.details.requirements.industires',
        code: 'unknownProperty',
        message: "unknown property 'industires'; did you mean 'industries'?",
      },
    ]);
  });

  test('the same property under two spellings is refused', () => {
    const input = seedRequest();
    input.Name = 'Other';
    expect(problems(input)[0]).toMatchObject({ path: '$.Name', code: 'duplicateProperty' });
  });

  test('properties Partner Center sets itself are refused with the reason', () => {
    const input = { ...seedRequest(), id: 'abc', eTag: '"1"' };
    expect(problems(input).map((d) => [d.path, d.code])).toEqual([
      ['$.id', 'readOnlyProperty'],
      ['$.eTag', 'readOnlyProperty'],
    ]);
  });

  test('prototype-pollution names are refused', () => {
    const input = JSON.parse(
      JSON.stringify(seedRequest()).replace(
        '{"name"',
        '{"__proto__":{"admin":true},"constructor":1,"name"',
      ),
    );
    expect(problems(input).map((d) => [d.path, d.code])).toEqual([
      ['$.__proto__', 'forbiddenProperty'],
      ['$.constructor', 'forbiddenProperty'],
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('status and substatus on create', () => {
  test('a pair outside the status table is refused at the substatus', () => {
    const details = problems({ ...seedRequest(), status: 'Closed', substatus: 'Pending' });
    expect(details).toEqual([
      {
        path: '$.substatus',
        code: 'invalidStatusPair',
        message:
          "substatus 'Pending' is not allowed with status 'Closed'; with 'Closed' use Won, Lost, Declined, Expired",
      },
    ]);
  });

  test('a substatus without a status is refused at the status', () => {
    const input = seedRequest();
    delete input.status;
    expect(problems(input)[0]).toMatchObject({ path: '$.status', code: 'statusRequired' });
  });

  test('both may be left out', () => {
    const input = seedRequest();
    delete input.status;
    delete input.substatus;
    expect(accepted(input)).not.toHaveProperty('status');
  });
});
