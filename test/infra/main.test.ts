/**
 * The wiring that matters, read from the ARM JSON the real Bicep CLI compiled (`npm run infra`,
 * part of `npm test`): identity-only storage, secrets only as Key Vault references, the app's
 * identity holding the roles it needs, Node 22 on Flex Consumption, HTTPS only, and every setting
 * the product requires present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings } from '../../shared/config';

interface Resource {
  type: string;
  name: string;
  scope?: string;
  condition?: string;
  copy?: { name: string; count: string };
  properties: Record<string, unknown> & {
    template?: Template;
    parameters?: Record<string, { value: unknown }>;
  };
  sku?: Record<string, string>;
  identity?: { type: string; userAssignedIdentities: Record<string, unknown> };
}

interface Template {
  parameters?: Record<string, { type: string }>;
  variables: Record<string, unknown>;
  resources: Resource[];
}

const COMPILED = join(__dirname, '..', '..', 'dist', 'infra', 'main.json');
if (!existsSync(COMPILED)) {
  throw new Error('dist/infra/main.json is missing: run npm run infra (npm test does)');
}
const text = readFileSync(COMPILED, 'utf8');
const main = JSON.parse(text) as Template;
const modules = Object.fromEntries(
  main.resources
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .map((r) => [r.name, r]),
);
const templateOf = (name: string) => modules[name]?.properties.template as Template;
const resourceOf = (module: string, type: string) =>
  templateOf(module).resources.filter((r) => r.type === type);

const functionApp = templateOf('function-app');
const site = resourceOf('function-app', 'Microsoft.Web/sites')[0] as Resource;
const vars = functionApp.variables as Record<string, Record<string, string>>;
const productSettings = modules['function-app']?.properties.parameters?.productSettings
  ?.value as Record<string, string>;
/** Every app setting the template can give the app, name to value (values are ARM expressions). */
const appSettings: Record<string, string> = {
  ...vars.platformSettings,
  ...productSettings,
  ...vars.secretSettings,
  ...vars.refreshTokenSetting,
};

const KEY_VAULT_REFERENCE =
  /^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/([a-z-]+)\/\)', parameters\('keyVaultUri'\)\)\]$/;

test('the settings the template writes are the ones the app uses', () => {
  // The site's settings are exactly the union of these variables and the product settings.
  expect(vars.settings).toBe(
    "[union(variables('platformSettings'), parameters('productSettings'), variables('secretSettings'), if(parameters('hasRefreshToken'), variables('refreshTokenSetting'), createObject()))]",
  );
  const siteConfig = site.properties.siteConfig as { copy: { input: { name: string } }[] };
  expect(siteConfig.copy[0]?.input.name).toBe(
    "[items(variables('settings'))[copyIndex('appSettings')].key]",
  );
});

test('storage is reached with the managed identity only: no keys anywhere', () => {
  expect(appSettings).toMatchObject({
    AzureWebJobsStorage__blobServiceUri: "[parameters('storageBlobEndpoint')]",
    AzureWebJobsStorage__queueServiceUri: "[parameters('storageQueueEndpoint')]",
    AzureWebJobsStorage__tableServiceUri: "[parameters('storageTableEndpoint')]",
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: "[parameters('identityClientId')]",
    AZURE_CLIENT_ID: "[parameters('identityClientId')]",
  });
  expect(appSettings).not.toHaveProperty('AzureWebJobsStorage');
  expect(text).not.toMatch(/listKeys|AccountKey=|SharedAccessSignature|listAccountSas/i);
  const account = resourceOf('storage', 'Microsoft.Storage/storageAccounts')[0] as Resource;
  expect(account.properties).toMatchObject({
    allowSharedKeyAccess: false,
    allowBlobPublicAccess: false,
    supportsHttpsTrafficOnly: true,
    minimumTlsVersion: 'TLS1_2',
  });
  const deployment = (site.properties.functionAppConfig as { deployment: { storage: unknown } })
    .deployment.storage;
  expect(deployment).toMatchObject({ authentication: { type: 'UserAssignedIdentity' } });
});

test('every secret setting is a Key Vault reference to a secret the template stores', () => {
  const secretNames = [
    'PARTNER_CENTER_CLIENT_SECRET',
    'PARTNER_CENTER_CLIENT_CERTIFICATE',
    'PARTNER_CENTER_REFRESH_TOKEN',
    'TOKEN_CACHE_ENCRYPTION_KEY',
    'TOKEN_CACHE_PREVIOUS_KEYS',
  ];
  const stored = String(modules['key-vault']?.properties.parameters?.secrets?.value);
  const referenced = Object.entries(appSettings).filter(([name]) => secretNames.includes(name));
  expect(referenced.map(([name]) => name).sort()).toEqual([
    'PARTNER_CENTER_CLIENT_SECRET',
    'PARTNER_CENTER_REFRESH_TOKEN',
    'TOKEN_CACHE_ENCRYPTION_KEY',
  ]);
  for (const [, value] of referenced) {
    const secret = KEY_VAULT_REFERENCE.exec(value)?.[1];
    expect(secret).toBeDefined();
    expect(stored).toContain(`'${secret}'`);
  }
  expect(site.properties.keyVaultReferenceIdentity).toBe("[parameters('identityId')]");
  // No secure parameter reaches a setting directly.
  const secure = Object.entries(main.parameters ?? {})
    .filter(([, p]) => p.type === 'securestring')
    .map(([name]) => name);
  expect(secure.sort()).toEqual([
    'partnerCenterClientSecret',
    'partnerCenterRefreshToken',
    'tokenCacheEncryptionKey',
  ]);
  // Only whether a refresh token was given reaches the app's module, never a value.
  const { hasRefreshToken, ...appParameters } =
    modules['function-app']?.properties.parameters ?? {};
  expect(hasRefreshToken?.value).toBe("[not(empty(parameters('partnerCenterRefreshToken')))]");
  for (const name of secure) {
    expect(JSON.stringify(appParameters)).not.toContain(`parameters('${name}')`);
  }
  const vault = resourceOf('key-vault', 'Microsoft.KeyVault/vaults')[0] as Resource;
  expect(vault.properties).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true });
  // Without purge protection `azd down --purge` frees the name for the next `azd up`.
  expect(vault.properties).not.toHaveProperty('enablePurgeProtection');
});

test('the app can start with these settings: everything the product requires is there', () => {
  const sample = (name: string, value: string): string => {
    if (!value.startsWith('[')) return value;
    if (name.endsWith('ServiceUri')) return 'https://account.table.core.windows.net/';
    if (name === 'TOKEN_CACHE_ENCRYPTION_KEY') return Buffer.alloc(32, 1).toString('base64');
    if (name === 'AUTH_ISSUER') return 'https://login.microsoftonline.com/tenant/v2.0';
    return `value-of-${name}`;
  };
  const env = Object.fromEntries(
    Object.entries(appSettings).map(([name, value]) => [name, sample(name, value)]),
  );
  expect(() => loadSettings(env)).not.toThrow();
  expect(loadSettings(env).AUTH_MODE).toBe('entra');
  // The pairs Entra issues: the v2.0 issuer with the client id, the v1.0 one with the app ID URI.
  expect(appSettings.AUTH_ISSUER).toContain('/v2.0');
  expect(appSettings.AUTH_CLIENT_ID).toBe("[parameters('authClientId')]");
  expect(appSettings.AUTH_APP_ID_URI).toBe("[parameters('authAppIdUri')]");
  expect(appSettings).not.toHaveProperty('AUTH_AUDIENCE');
});

test("the app's identity holds the storage, Key Vault and telemetry roles, and only those", () => {
  const roles = templateOf('role-assignments').variables.roles as Record<string, string>;
  // Azure's built-in role ids.
  expect(roles).toMatchObject({
    storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
    monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  });
  const assignments = resourceOf('role-assignments', 'Microsoft.Authorization/roleAssignments');
  const forApp = assignments.filter(
    (a) => a.properties.principalId === "[parameters('principalId')]",
  );
  const granted = forApp.flatMap((a) => {
    const id = String(a.properties.roleDefinitionId);
    if (a.copy) {
      return (templateOf('role-assignments').variables.storageRoles as string[]).map((r) =>
        r.replace(/^\[variables\('roles'\)\.(\w+)\]$/, '$1'),
      );
    }
    return [/variables\('roles'\)\.(\w+)/.exec(id)?.[1]];
  });
  expect(granted.sort()).toEqual([
    'keyVaultSecretsUser',
    'monitoringMetricsPublisher',
    'storageBlobDataOwner',
    'storageQueueDataContributor',
    'storageTableDataContributor',
  ]);
  // The principal is the identity the Function App runs as.
  expect(String(modules['role-assignments']?.properties.parameters?.principalId?.value)).toMatch(
    /'identity'\).*outputs\.principalId\.value/,
  );
  expect(site.identity?.type).toBe('UserAssigned');
  expect(Object.keys(site.identity?.userAssignedIdentities ?? {})).toEqual([
    "[format('{0}', parameters('identityId'))]",
  ]);
  expect(String(modules['function-app']?.properties.parameters?.identityId?.value)).toMatch(
    /'identity'\).*outputs\.id\.value/,
  );
});

test('Node.js 22 on Flex Consumption, HTTPS only, TLS 1.2, no publishing passwords, no FTP settings', () => {
  const plan = resourceOf('function-app', 'Microsoft.Web/serverfarms')[0] as Resource;
  expect(plan.sku).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
  expect(site.properties.functionAppConfig).toMatchObject({
    runtime: { name: 'node', version: '22' },
  });
  expect(site.properties.httpsOnly).toBe(true);
  expect(site.properties.siteConfig).toMatchObject({
    minTlsVersion: '1.2',
    scmMinTlsVersion: '1.2',
  });
  // Flex Consumption has no FTP: its deprecated settings are left out.
  expect(site.properties.siteConfig).not.toHaveProperty('ftpsState');
  const policies = resourceOf(
    'function-app',
    'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
  );
  expect(policies.map((p) => [p.name, p.properties.allow])).toEqual([
    [expect.stringContaining('scm'), false],
  ]);
  const insights = resourceOf('monitoring', 'Microsoft.Insights/components')[0] as Resource;
  expect(insights.properties.DisableLocalAuth).toBe(true);
  expect(appSettings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toContain('Authorization=AAD');
});

test('azd finds exactly one resource to deploy to: only the site carries azd-service-name', () => {
  const tagged = Object.keys(modules).flatMap((name) =>
    templateOf(name).resources.filter((r) =>
      JSON.stringify((r as { tags?: unknown }).tags ?? '').includes('azd-service-name'),
    ),
  );
  expect(tagged.map((r) => r.type)).toEqual(['Microsoft.Web/sites']);
});

test('Durable on Flex as Learn advises: one instance always ready for the durable group', () => {
  expect(site.properties.functionAppConfig).toMatchObject({
    scaleAndConcurrency: { alwaysReady: [{ name: 'durable', instanceCount: 1 }] },
  });
  const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
    logging: { logLevel: Record<string, string> };
    extensions: { durableTask: { storageProvider: { maxQueuePollingInterval: string } } };
  };
  expect(host.extensions.durableTask.storageProvider.maxQueuePollingInterval).toBe('00:00:01');
  expect(host.logging.logLevel['DurableTask.AzureStorage']).toBe('Warning');
  expect(host.logging.logLevel['DurableTask.Core']).toBe('Warning');
});

test('the deployer, when named, may manage the secrets and write the token cache table (consent)', () => {
  const assignments = templateOf('role-assignments').resources.filter(
    (r) => r.type === 'Microsoft.Authorization/roleAssignments' && r.condition !== undefined,
  );
  const roles = templateOf('role-assignments').variables.roles as Record<string, string>;
  const granted = assignments.map((r) => String(r.properties.roleDefinitionId));
  expect(granted.some((id) => id.includes('keyVaultSecretsOfficer'))).toBe(true);
  expect(granted.some((id) => id.includes('storageTableDataContributor'))).toBe(true);
  expect(roles.storageTableDataContributor).toBe('0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3');
});

test('the app is created after its role assignments, so its first start can read Key Vault', () => {
  const app = main.resources.find((r) => r.name === 'function-app') as Resource & {
    dependsOn: string[];
  };
  expect(app.dependsOn.some((d) => d.includes("'role-assignments'"))).toBe(true);
});
