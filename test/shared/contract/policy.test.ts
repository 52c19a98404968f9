import { loadSettings } from '../../../shared/config';
import { ConfigurationError } from '../../../shared/config';
import { DEFAULT_POLICY } from '../../../shared/contract/policy';
import { minimalSettings } from '../../support/settings';

const base = minimalSettings;

test('REFERRAL_POLICY is the defaults unless set, and its values over them when set', () => {
  expect(loadSettings(base).REFERRAL_POLICY).toEqual(DEFAULT_POLICY);
  const policy = loadSettings({
    ...base,
    REFERRAL_POLICY: '{"maxNotesLength":8000,"coSellRequires":["dealValue"]}',
  }).REFERRAL_POLICY;
  expect(policy).toEqual({
    ...DEFAULT_POLICY,
    maxNotesLength: 8000,
    coSellRequires: ['dealValue'],
  });
});

test.each([
  ['not JSON', 'maxNotesLength=8000', /must be a JSON object/],
  ['an unknown value', '{"maxNotes":8000}', /maxTextLength, maxNotesLength/],
  ['a wrong type', '{"maxListItems":"many"}', /maxListItems/],
  ['an unknown co-sell check', '{"coSellRequires":["luck"]}', /coSellRequires/],
])('REFERRAL_POLICY with %s is a configuration error naming it', (_name, value, message) => {
  let error: unknown;
  try {
    loadSettings({ ...base, REFERRAL_POLICY: value });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).problems.join('\n')).toMatch(/^REFERRAL_POLICY /m);
  expect((error as ConfigurationError).problems.join('\n')).toMatch(message);
});
