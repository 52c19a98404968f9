/** The fewest settings with which the gateway starts (Entra callers, real Partner Center URLs). */
export const minimalSettings = {
  PARTNER_CENTER_TENANT_ID: 'tenant',
  PARTNER_CENTER_CLIENT_ID: 'client',
  PARTNER_CENTER_CLIENT_SECRET: 'a-secret-value',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  TOKEN_CACHE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  AUTH_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
  AUTH_CLIENT_ID: '3c1f9a52-7d4e-4b8a-9e0f-5a6b7c8d9e01',
};
