import { loadSettings } from '../../../shared/config';
import { ConfigurationError } from '../../../shared/config';
import { DEFAULT_POLICY } from '../../../shared/contract/policy';

const base = {
  PARTNER_CENTER_TENANT_ID: 't',
  PARTNER_CENTER_CLIENT_ID: 'c',
  PARTNER_CENTER_CLIENT_SECRET: 's',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  TOKEN_CACHE_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
  AUTH_CLIENT_ID: '3c1f9a52-7d4e-4b8a-9e0f-5a6b7c8d9e01',
};

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
