/**
 * The gateway's settings, read from the environment (app settings in Azure, local.settings.json
 * locally). Every problem is reported at once, naming the setting; values are never echoed.
 */
import * as z from 'zod';
import { PolicySettingSchema } from './contract/policy';

const url = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });
const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int().positive().default(fallback);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** A 256-bit key, base64-encoded (what `openssl rand -base64 32` prints). */
const isAesKey = (value: string) => Buffer.from(value.trim(), 'base64').length === 32;
const aesKey = z
  .string({ error: 'is required (a 256-bit key, base64: openssl rand -base64 32)' })
  .refine(isAesKey, { error: 'must be a 256-bit key, base64-encoded (openssl rand -base64 32)' });
const aesKeyList = optionalText.refine(
  (value) => value === undefined || value.split(',').every(isAesKey),
  { error: 'must be a comma-separated list of 256-bit keys, base64-encoded' },
);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** PEM certificates, one or more (app settings may carry the line breaks as `\n`). */
const pemBundle = optionalText
  .transform((v) => v?.replace(/\\n/g, '\n'))
  .refine((v) => v === undefined || /-----BEGIN CERTIFICATE-----/.test(v), {
    error: 'must be one or more PEM certificates (-----BEGIN CERTIFICATE-----...)',
  });

const tableName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, {
  error: 'must be a table name: a letter, then letters or digits, 3 to 63 in all',
});

export const SettingsSchema = z
  .object({
    PARTNER_CENTER_API_URL: url.default('https://api.partner.microsoft.com/v1.0'),
    PARTNER_CENTER_AUTHORITY_HOST: url.default('https://login.microsoftonline.com'),
    PARTNER_CENTER_TENANT_ID: z.string({ error: 'is required' }).min(1, { error: 'is required' }),
    PARTNER_CENTER_CLIENT_ID: z.string({ error: 'is required' }).min(1, { error: 'is required' }),
    PARTNER_CENTER_CLIENT_SECRET: optionalText,
    PARTNER_CENTER_CLIENT_CERTIFICATE: optionalText,
    PARTNER_CENTER_SCOPE: z.string().default('https://api.partner.microsoft.com/.default'),
    PARTNER_CENTER_REFRESH_TOKEN: optionalText,
    /** Partner Center's own API (webhook registration): another host, another audience. */
    PARTNER_CENTER_WEBHOOK_API_URL: url.default('https://api.partnercenter.microsoft.com'),
    PARTNER_CENTER_WEBHOOK_SCOPE: z
      .string()
      .default('https://api.partnercenter.microsoft.com/.default'),
    PARTNER_CENTER_USERNAME: optionalText,
    PARTNER_CENTER_MAX_ATTEMPTS: positiveInt(5),
    PARTNER_CENTER_DEADLINE_MS: positiveInt(60000),
    PARTNER_CENTER_ATTEMPT_TIMEOUT_MS: positiveInt(20000),
    AzureWebJobsStorage: optionalText,
    AzureWebJobsStorage__tableServiceUri: optionalText,
    TOKEN_CACHE_TABLE: tableName.default('PartnerCenterTokenCache'),
    IDEMPOTENCY_TABLE: tableName.default('ReferralIdempotency'),
    ENGAGEMENT_TABLE: tableName.default('EngagementMappings'),
    SUBSCRIPTION_TABLE: tableName.default('ReferralSubscriptions'),
    PARTNER_SOLUTION_PROFILE_ID: optionalText,
    PUBLIC_BASE_URL: optionalText.pipe(url.optional()),
    TOKEN_CACHE_ENCRYPTION_KEY: aesKey,
    TOKEN_CACHE_PREVIOUS_KEYS: aesKeyList,
    AUTH_MODE: z
      .enum(['entra', 'none'], { error: "must be 'entra' (the default) or 'none'" })
      .default('entra'),
    AUTH_ISSUER: optionalText.pipe(url.optional()),
    AUTH_CLIENT_ID: optionalText,
    AUTH_APP_ID_URI: optionalText,
    AUTH_V1_ISSUER: optionalText.pipe(url.optional()),
    AUTH_JWKS_URI: optionalText.pipe(url.optional()),
    IDEMPOTENCY_TTL_DAYS: positiveInt(30),
    REFERRAL_POLICY: PolicySettingSchema,
    SHARED_STEP_MAX_ATTEMPTS: positiveInt(5),
    SHARED_STEP_RETRY_MS: positiveInt(5000),
    IDEMPOTENCY_WAIT_MS: z.coerce
      .number({ error: 'must be a whole number' })
      .int()
      .min(0, { error: 'must be 0 or more' })
      .default(20000),
    IDEMPOTENCY_LEASE_MS: z.coerce
      .number({ error: 'must be a whole number' })
      .int()
      .positive()
      .optional(),
    PARTNER_CENTER_EVENT_TRUSTED_ROOTS: pemBundle,
    PARTNER_CENTER_EVENT_INTERMEDIATES: pemBundle,
    PARTNER_CENTER_EVENT_ISSUER_ORGANIZATION: z.string().min(1).default('Microsoft Corporation'),
    PARTNER_CENTER_EVENT_CERTIFICATE_HOSTS: optionalText,
    NOTIFICATION_ALLOW_LOOPBACK: z
      .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
      .default('false')
      .transform((v) => v === 'true'),
    NOTIFICATION_MAX_ATTEMPTS: positiveInt(10),
    SIGN_IN_AT_RISK_DAYS: positiveInt(30),
    NOTIFICATION_RETRY_MS: positiveInt(30000),
    PARTNER_CENTER_LIST_DELAY_MS: z.coerce
      .number({ error: 'must be a whole number' })
      .int()
      .min(0, { error: 'must be 0 or more' })
      .default(30000),
  })
  .superRefine((s, ctx) => {
    if (
      s.IDEMPOTENCY_LEASE_MS !== undefined &&
      s.IDEMPOTENCY_LEASE_MS <= s.PARTNER_CENTER_DEADLINE_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['IDEMPOTENCY_LEASE_MS'],
        message:
          'must be longer than PARTNER_CENTER_DEADLINE_MS (a reservation must outlast the Partner Center call it covers)',
      });
    }
    if (s.AUTH_MODE === 'entra') {
      for (const name of ['AUTH_ISSUER', 'AUTH_CLIENT_ID'] as const) {
        if (!s[name]) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: "is required when AUTH_MODE is 'entra' (the default)",
          });
        }
      }
    }
    const sandbox = LOOPBACK.has(new URL(s.PARTNER_CENTER_API_URL).hostname);
    if (s.NOTIFICATION_ALLOW_LOOPBACK && !sandbox) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFICATION_ALLOW_LOOPBACK'],
        message:
          "may be 'true' only when PARTNER_CENTER_API_URL is the local sandbox (a loopback address)",
      });
    }
    if (s.AUTH_MODE === 'none' && !sandbox) {
      // Without caller authentication anyone could create referrals in the partner's name.
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_MODE'],
        message:
          "may be 'none' only when PARTNER_CENTER_API_URL is the local sandbox (a loopback address)",
      });
    }
    // Table names are case-insensitive; each kind of record needs its own table.
    const tables = [
      'TOKEN_CACHE_TABLE',
      'IDEMPOTENCY_TABLE',
      'ENGAGEMENT_TABLE',
      'SUBSCRIPTION_TABLE',
    ] as const;
    tables.forEach((name, i) => {
      const clash = tables
        .slice(0, i)
        .find((other) => s[other].toLowerCase() === s[name].toLowerCase());
      if (clash)
        ctx.addIssue({ code: 'custom', path: [name], message: `must differ from ${clash}` });
    });
  });

export type Settings = z.infer<typeof SettingsSchema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Settings where one of two must be given; checked on the raw values so it always runs. */
const ONE_OF: readonly (readonly [string, string, string])[] = [
  [
    'PARTNER_CENTER_CLIENT_SECRET',
    'PARTNER_CENTER_CLIENT_CERTIFICATE',
    'is required unless PARTNER_CENTER_CLIENT_CERTIFICATE is set (one client credential is needed)',
  ],
  [
    'AzureWebJobsStorage',
    'AzureWebJobsStorage__tableServiceUri',
    'is required unless AzureWebJobsStorage__tableServiceUri is set (identity-based)',
  ],
];

/**
 * A Key Vault reference the platform could not resolve reaches the app as its literal text, e.g.
 * on the first start before the identity's Key Vault role has applied. Said plainly, so health
 * tells the operator what happened and what to do.
 */
const UNRESOLVED_KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const blank = (name: string) => (env[name] ?? '').trim() === '';
  const problems = ONE_OF.filter(([first, second]) => blank(first) && blank(second)).map(
    ([first, , message]) => `${first} ${message}`,
  );
  const unresolved = Object.keys(SettingsSchema.shape).filter((name) =>
    UNRESOLVED_KEY_VAULT_REFERENCE.test(env[name]?.trim() ?? ''),
  );
  if (unresolved.length > 0) {
    throw new ConfigurationError(
      unresolved.map(
        (name) =>
          `${name} is a Key Vault reference the platform has not resolved yet (the app's identity may not hold its Key Vault role yet, or the secret is missing); once the role applies, restart the app`,
      ),
    );
  }
  const parsed = SettingsSchema.safeParse(env);
  if (parsed.success && problems.length === 0) return parsed.data;
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`),
    );
  }
  throw new ConfigurationError(problems);
}
