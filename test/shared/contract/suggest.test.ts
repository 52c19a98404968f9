/**
 * The forward-compatibility rule, both sides: a likely mistake for a known name is refused with
 * the suggestion; a plausible name of its own is forwarded as a new Microsoft field.
 */
import { likelyMistakeFor } from '../../../shared/contract/suggest';
import { validateReferralCreateRequest } from '../../../shared/contract/validate';
import { independentSeedRequest, setPath } from '../../support/seed';

const KNOWN = ['notes', 'dealValue', 'currency', 'closingDateTime', 'requirements', 'tags', 'id'];

test.each([
  ['dealvalue_', 'dealValue', 'separators and case dropped'],
  ['deal_value', 'dealValue', 'snake case'],
  ['Deal-Value', 'dealValue', 'kebab case'],
  ['currnecy', 'currency', 'two letters swapped (2 edits)'],
  ['requirments', 'requirements', 'a letter left out'],
  ['closingDatetime2', 'closingDateTime', 'one letter added'],
  ['ib', 'id', 'a short name one letter off'],
])('%s is a likely mistake for %s (%s)', (name, known) => {
  expect(likelyMistakeFor(name, KNOWN)).toBe(known);
});

test.each([
  ['note', 'singular of notes'],
  ['tag', 'singular of tags'],
  ['dealValues', 'plural of dealValue'],
  ['currencies', 'y/ies plural of a name ending in y'],
  ['customerIntent', 'far from every known name'],
  ['iot2', 'a short name more than one letter from id'],
  ['salesRegion', 'a new field'],
])('%s is a plausible name of its own (%s)', (name) => {
  expect(likelyMistakeFor(name, KNOWN)).toBeUndefined();
});

describe('through the validator', () => {
  test('a plausible new property is forwarded unchanged and listed, at any depth', () => {
    const input = independentSeedRequest();
    setPath(input, 'details.customerIntent', { buying: true, when: ['Q3', 'Q4'] });
    setPath(input, 'customerProfile.team[0].pronouns', 'she/her');
    input.salesRegion = 'EMEA';

    const result = validateReferralCreateRequest(input);

    if (!result.ok) throw new Error(JSON.stringify(result.error));
    expect(result.forwarded).toEqual([
      '$.customerProfile.team[0].pronouns',
      '$.details.customerIntent',
      '$.salesRegion',
    ]);
    expect(result.value).toMatchObject({
      salesRegion: 'EMEA',
      details: { customerIntent: { buying: true, when: ['Q3', 'Q4'] } },
    });
    expect(result.value.customerProfile.team?.[0]).toMatchObject({ pronouns: 'she/her' });
  });

  test('a near miss is refused, naming the known property, and nothing is forwarded', () => {
    const input = independentSeedRequest();
    setPath(input, 'details.dealvalu', 5);
    const result = validateReferralCreateRequest(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.details).toEqual([
      {
        path: '$.details.dealvalu',
        code: 'unknownProperty',
        message: "unknown property 'dealvalu'; did you mean 'dealValue'?",
      },
    ]);
  });

  test('a name Partner Center could not have is refused, even far from every known one', () => {
    const input = independentSeedRequest();
    input['x y'] = 'EMEA';
    const result = validateReferralCreateRequest(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.details[0]).toMatchObject({
      path: '$["x y"]',
      code: 'invalidPropertyName',
    });
  });

  test('prototype keys inside a forwarded value are refused', () => {
    const input = JSON.parse(
      JSON.stringify(independentSeedRequest()).replace(
        '"details":{',
        '"details":{"customerIntent":{"__proto__":{"polluted":true}},',
      ),
    ) as unknown;
    const result = validateReferralCreateRequest(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.details[0]).toMatchObject({
      path: '$.details.customerIntent.__proto__',
      code: 'forbiddenProperty',
    });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
