import { ConfigurationError, loadSettings } from '../../shared/config';
import { minimalSettings } from '../support/settings';

const minimal = minimalSettings;

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

test('callers are authenticated with Entra ID unless the upstream is the local sandbox', () => {
  expect(loadSettings(minimal).AUTH_MODE).toBe('entra');
  const { AUTH_ISSUER: _i, AUTH_CLIENT_ID: _a, ...noAuth } = minimal;
  expect(() => loadSettings(noAuth)).toThrow(
    /AUTH_ISSUER is required when AUTH_MODE is 'entra'.*AUTH_CLIENT_ID is required/,
  );
  expect(() => loadSettings({ ...noAuth, AUTH_MODE: 'none' })).toThrow(
    /AUTH_MODE may be 'none' only when PARTNER_CENTER_API_URL is the local sandbox/,
  );
  const sandbox = { PARTNER_CENTER_API_URL: 'https://127.0.0.1:8443/v1.0' };
  expect(loadSettings({ ...noAuth, ...sandbox, AUTH_MODE: 'none' }).AUTH_MODE).toBe('none');
  expect(() => loadSettings({ ...minimal, AUTH_MODE: 'off' })).toThrow(
    /AUTH_MODE must be 'entra' \(the default\) or 'none'/,
  );
});

test('the token cache key is required, 256 bits, and never echoed', () => {
  const { TOKEN_CACHE_ENCRYPTION_KEY: _k, ...noKey } = minimal;
  expect(() => loadSettings(noKey)).toThrow(/TOKEN_CACHE_ENCRYPTION_KEY is required/);
  const short = Buffer.alloc(16, 1).toString('base64');
  expect(() => loadSettings({ ...minimal, TOKEN_CACHE_ENCRYPTION_KEY: short })).toThrow(
    /TOKEN_CACHE_ENCRYPTION_KEY must be a 256-bit key/,
  );
  try {
    loadSettings({ ...minimal, TOKEN_CACHE_PREVIOUS_KEYS: `${short},x` });
    throw new Error('accepted');
  } catch (error) {
    expect((error as Error).message).toMatch(/TOKEN_CACHE_PREVIOUS_KEYS must be a comma-separated/);
    expect((error as Error).message).not.toContain(short);
  }
});

test('an unresolved Key Vault reference is named as such, never echoed', () => {
  const reference =
    '@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/token-cache-encryption-key/)';
  let error: unknown;
  try {
    loadSettings({ ...minimal, TOKEN_CACHE_ENCRYPTION_KEY: reference });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  const problems = (error as ConfigurationError).problems.join('\n');
  expect(problems).toMatch(
    /^TOKEN_CACHE_ENCRYPTION_KEY is a Key Vault reference the platform has not resolved yet.*restart the app$/,
  );
  expect(problems).not.toContain('vault.azure.net');
});
