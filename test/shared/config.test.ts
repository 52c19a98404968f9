import { ConfigurationError, loadSettings } from '../../shared/config';

const minimal = {
  PARTNER_CENTER_TENANT_ID: 'tenant',
  PARTNER_CENTER_CLIENT_ID: 'client',
  PARTNER_CENTER_CLIENT_SECRET: 'a-secret-value',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

test('defaults point at the real Partner Center and Entra ID', () => {
  expect(loadSettings(minimal)).toMatchObject({
    PARTNER_CENTER_API_URL: 'https://api.partner.microsoft.com/v1.0',
    PARTNER_CENTER_AUTHORITY_HOST: 'https://login.microsoftonline.com',
    PARTNER_CENTER_SCOPE: 'https://api.partner.microsoft.com/.default',
    PARTNER_CENTER_MAX_ATTEMPTS: 5,
    TOKEN_CACHE_TABLE: 'PartnerCenterTokenCache',
    IDEMPOTENCY_TABLE: 'ReferralIdempotency',
    IDEMPOTENCY_TTL_DAYS: 30,
    IDEMPOTENCY_WAIT_MS: 20000,
  });
});

test('an idempotency lease must outlast the Partner Center deadline, in its own table', () => {
  expect(() =>
    loadSettings({
      ...minimal,
      PARTNER_CENTER_DEADLINE_MS: '60000',
      IDEMPOTENCY_LEASE_MS: '30000',
      IDEMPOTENCY_TABLE: 'PartnerCenterTokenCache',
    }),
  ).toThrow(
    /IDEMPOTENCY_LEASE_MS must be longer than PARTNER_CENTER_DEADLINE_MS.*IDEMPOTENCY_TABLE must differ/,
  );
  expect(loadSettings({ ...minimal, IDEMPOTENCY_LEASE_MS: '90000' }).IDEMPOTENCY_LEASE_MS).toBe(
    90000,
  );
});

test('every problem is reported at once, by setting name, without echoing values', () => {
  let error: unknown;
  try {
    loadSettings({
      PARTNER_CENTER_API_URL: 'not a url',
      PARTNER_CENTER_MAX_ATTEMPTS: 'many',
      TOKEN_CACHE_TABLE: 'x',
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  const problems = (error as ConfigurationError).problems.join('\n');
  for (const name of [
    'PARTNER_CENTER_API_URL',
    'PARTNER_CENTER_TENANT_ID',
    'PARTNER_CENTER_CLIENT_ID',
    'PARTNER_CENTER_MAX_ATTEMPTS',
    'TOKEN_CACHE_TABLE',
    // Checked even while other settings are invalid, so one pass shows everything.
    'PARTNER_CENTER_CLIENT_SECRET',
    'AzureWebJobsStorage',
  ]) {
    expect(problems).toContain(name);
  }
  expect(problems).not.toContain('not a url');
});

test('a client credential and a storage connection are required', () => {
  const { PARTNER_CENTER_CLIENT_SECRET: _s, AzureWebJobsStorage: _a, ...rest } = minimal;
  expect(() => loadSettings(rest)).toThrow(
    /PARTNER_CENTER_CLIENT_SECRET is required unless PARTNER_CENTER_CLIENT_CERTIFICATE.*AzureWebJobsStorage is required unless/,
  );
  expect(() =>
    loadSettings({
      ...rest,
      PARTNER_CENTER_CLIENT_CERTIFICATE: 'pem',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
    }),
  ).not.toThrow();
});
