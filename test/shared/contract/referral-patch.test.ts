/** A patch is checked like a create: every path against the contract, every value by its schema. */
import {
  applyReferralPatch,
  checkUpdatedReferral,
  showsPatch,
  validateReferralPatch,
  type ReferralPatchOperation,
} from '../../../shared/contract/referral-patch';
import type { Referral } from '../../../shared/contract/schema';
import { microsoftSample } from '../../support/seed';

const PATCH_SAMPLES = [
  'patch-add-team-member.request.json',
  'patch-close-won.request.json',
  'patch-deal-value-and-add-team-member.request.json',
  'patch-deal-value-and-notes.request.json',
];

function problems(input: unknown) {
  const result = validateReferralPatch(input);
  if (result.ok) throw new Error('expected the patch to be refused');
  return result.error.error.details;
}

function valid(input: unknown) {
  const result = validateReferralPatch(input);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result;
}

const referral = (fields: Partial<Referral> = {}): Referral => ({
  id: '11111111-1111-4111-8111-111111111111',
  status: 'New',
  substatus: 'Pending',
  eTag: '"e1"',
  details: { dealValue: 5, currency: 'USD' },
  team: [{ firstName: 'A', lastName: 'B', email: 'a@contoso.com' }],
  ...fields,
});

test.each(PATCH_SAMPLES)("Microsoft's published patch %s is taken", (file) => {
  const result = valid(microsoftSample(file));
  expect(result.forwarded).toEqual([]);
});

test('the deal value sent as text in the published example is sent on as a number', () => {
  const [deal] = valid(microsoftSample('patch-deal-value-and-notes.request.json')).value;
  expect(deal).toEqual({ op: 'replace', path: '/details/dealValue', value: 10000 });
});

test('paths are matched as the contract spells them, whatever the case', () => {
  const { value } = valid([
    { op: 'replace', path: '/Details/DealValue', value: 3 },
    { op: 'add', path: '/Team/-', value: { FirstName: 'Jane', LastName: 'Doe' } },
    { op: 'replace', path: '/status', value: 'closed' },
  ]);
  expect(value).toEqual([
    { op: 'replace', path: '/details/dealValue', value: 3 },
    { op: 'add', path: '/team/-', value: { firstName: 'Jane', lastName: 'Doe' } },
    { op: 'replace', path: '/status', value: 'Closed' },
  ]);
});

test.each([
  ['not an array', { op: 'replace' }, '$', 'invalidType'],
  ['no operations', [], '$', 'empty'],
  ['remove', [{ op: 'remove', path: '/name' }], '$[0].op', 'unsupportedOperation'],
  ['move', [{ op: 'move', from: '/a', path: '/name' }], '$[0].op', 'unsupportedOperation'],
  ['no path', [{ op: 'replace', value: 1 }], '$[0].path', 'required'],
  ['not a pointer', [{ op: 'replace', path: 'name', value: 'x' }], '$[0].path', 'invalidPath'],
  ['no value', [{ op: 'replace', path: '/name' }], '$[0].value', 'required'],
  [
    'a service field',
    [{ op: 'replace', path: '/eTag', value: 'x' }],
    '$[0].path',
    'readOnlyProperty',
  ],
  [
    'the engagement',
    [{ op: 'replace', path: '/engagementId', value: 'x' }],
    '$[0].path',
    'readOnlyProperty',
  ],
  [
    'the type',
    [{ op: 'replace', path: '/type', value: 'Shared' }],
    '$[0].path',
    'readOnlyProperty',
  ],
  [
    'a typo',
    [{ op: 'replace', path: '/detials/notes', value: 'x' }],
    '$[0].path',
    'unknownProperty',
  ],
  [
    'a prototype key',
    [{ op: 'add', path: '/__proto__/x', value: 1 }],
    '$[0].path',
    'forbiddenProperty',
  ],
  ['inside a value', [{ op: 'add', path: '/name/first', value: 1 }], '$[0].path', 'invalidPath'],
  [
    '- not last',
    [{ op: 'add', path: '/team/-/email', value: 'a@b.c' }],
    '$[0].path',
    'invalidPath',
  ],
  ['- to replace', [{ op: 'replace', path: '/team/-', value: {} }], '$[0].path', 'invalidPath'],
  [
    'a bad status',
    [{ op: 'replace', path: '/status', value: 'Done' }],
    '$[0].value',
    'invalidValue',
  ],
  [
    'a negative deal',
    [{ op: 'replace', path: '/details/dealValue', value: -1 }],
    '$[0].value',
    'outOfRange',
  ],
  [
    'a bad e-mail',
    [{ op: 'add', path: '/team/-', value: { firstName: 'A', lastName: 'B', email: 'nope' } }],
    '$[0].value.email',
    'invalidEmail',
  ],
  [
    'a member without a name',
    [{ op: 'add', path: '/team/-', value: { email: 'a@b.c' } }],
    '$[0].value.firstName',
    'required',
  ],
  ['null', [{ op: 'replace', path: '/details/notes', value: null }], '$[0].value', 'invalidType'],
])('refuses %s, naming where and what', (_what, input, path, code) => {
  expect(problems(input)).toContainEqual(expect.objectContaining({ path, code }));
});

test('every problem is listed, each with its operation', () => {
  const found = problems([
    { op: 'remove', path: '/name' },
    { op: 'replace', path: '/details/currency', value: 'XXX' },
  ]);
  expect(found.map((d) => d.path)).toEqual(['$[0].op', '$[1].value']);
});

test('a plausible new property is forwarded as sent, and named', () => {
  const result = valid([{ op: 'replace', path: '/details/customerIntent', value: 'Buy' }]);
  expect(result.forwarded).toEqual(['$.details.customerIntent']);
  expect(result.value[0]).toEqual({ op: 'replace', path: '/details/customerIntent', value: 'Buy' });
});

test('a deal registration is added with its known fields, others forwarded', () => {
  const result = valid([
    {
      op: 'add',
      path: '/registrations/-',
      value: { registrationType: 'AzureIpCoSell', contractTerm: '12 months', newField: 1 },
    },
  ]);
  expect(result.forwarded).toEqual(['$[0].value.newField']);
});

describe('applied to the referral as it is', () => {
  test('add /team/- appends; add at a position inserts; replace past the end is refused', () => {
    const current = referral();
    const ops: ReferralPatchOperation[] = [
      { op: 'add', path: '/team/-', value: { firstName: 'C', lastName: 'D' } },
      { op: 'add', path: '/team/0', value: { firstName: 'E', lastName: 'F' } },
    ];
    const next = applyReferralPatch(current, ops);
    expect(next.ok && next.value.team?.map((m) => m.firstName)).toEqual(['E', 'A', 'C']);
    expect(current.team).toHaveLength(1);
    const past = applyReferralPatch(current, [{ op: 'replace', path: '/team/3', value: {} }]);
    expect(past.ok).toBe(false);
  });

  test('a referral without a team starts one', () => {
    const next = applyReferralPatch(referral({ team: null }), [
      { op: 'add', path: '/team/-', value: { firstName: 'C', lastName: 'D' } },
    ]);
    expect(next.ok && next.value.team).toHaveLength(1);
  });

  test.each([
    ['Closed', 'Won', 'New', 'Pending', 'status', 'invalidStatusTransition'],
    ['Closed', 'Won', 'Active', 'Accepted', 'status', 'invalidStatusTransition'],
    ['New', 'Pending', 'Closed', undefined, 'substatus', 'invalidStatusPair'],
    ['Active', 'Accepted', 'Active', 'Won', 'substatus', 'invalidStatusPair'],
  ] as const)(
    'from %s/%s to %s/%s is refused, naming what is allowed',
    (status, substatus, to, toSub, path, code) => {
      const current = referral({ status, substatus });
      const ops: ReferralPatchOperation[] = [
        { op: 'replace', path: '/status', value: to },
        ...(toSub ? [{ op: 'replace' as const, path: '/substatus', value: toSub }] : []),
      ];
      const next = applyReferralPatch(current, ops);
      if (!next.ok) throw new Error('not applied');
      const [detail] = checkUpdatedReferral(current, next.value, ops);
      expect(detail).toMatchObject({ path: `$.${path}`, code });
      expect(detail?.message).toMatch(/allowed|use/);
    },
  );

  test('a move the table allows passes; untouched status is not judged', () => {
    const current = referral();
    const ops: ReferralPatchOperation[] = [
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Won' },
    ];
    const next = applyReferralPatch(current, ops);
    expect(next.ok && checkUpdatedReferral(current, next.value, ops)).toEqual([]);
    const odd = referral({ status: 'Closed', substatus: 'Pending' });
    const notes: ReferralPatchOperation[] = [{ op: 'replace', path: '/details/notes', value: 'x' }];
    const noted = applyReferralPatch(odd, notes);
    expect(noted.ok && checkUpdatedReferral(odd, noted.value, notes)).toEqual([]);
  });

  test('a deal value needs a currency on the referral', () => {
    const current = referral({ details: {} });
    const ops: ReferralPatchOperation[] = [{ op: 'replace', path: '/details/dealValue', value: 9 }];
    const next = applyReferralPatch(current, ops);
    expect(next.ok && checkUpdatedReferral(current, next.value, ops)).toContainEqual(
      expect.objectContaining({ path: '$.details.currency', code: 'required' }),
    );
  });
});

test('a referral shows a patch when every value is there, and an added entry is in the list', () => {
  const ops: ReferralPatchOperation[] = [
    { op: 'replace', path: '/details/dealValue', value: 5 },
    { op: 'add', path: '/team/-', value: { firstName: 'A', email: 'a@contoso.com' } },
  ];
  expect(showsPatch(referral(), ops)).toBe(true);
  expect(showsPatch(referral({ details: { dealValue: 6 } }), ops)).toBe(false);
  expect(showsPatch(referral({ team: [] }), ops)).toBe(false);
});
