// The referral gateway in Azure: a Function App on the Flex Consumption plan (Node.js 22) with a
// user-assigned managed identity, identity-only storage, Key Vault for the secrets, and
// Application Insights on Log Analytics. `azd up` deploys it (see azure.yaml and docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('The azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('The partner\'s Entra tenant id (Partner Center and the callers\' tokens).')
param partnerCenterTenantId string

@description('Client id of the Partner Center app registration (the App+User credential).')
param partnerCenterClientId string

@secure()
@description('Client secret of the Partner Center app registration; stored in Key Vault only.')
param partnerCenterClientSecret string

@secure()
@description('Optional refresh token of the integration user, to seed the token cache (else run the consent command).')
param partnerCenterRefreshToken string = ''

@secure()
@description('256-bit key, base64 (openssl rand -base64 32), sealing the token cache; stored in Key Vault only.')
param tokenCacheEncryptionKey string

@description('Your solution profile id, the target of shared referrals that name none.')
param partnerSolutionProfileId string = ''

@description('Client id of the gateway API\'s app registration: the audience of v2.0 caller tokens.')
param authClientId string

@description('App ID URI of the gateway API\'s app registration (e.g. api://referral-gateway): the audience of v1.0 caller tokens.')
param authAppIdUri string = ''

@description('Object id of the person or pipeline running the deployment, granted Key Vault secret management (optional).')
param deployerPrincipalId string = ''

@description('E-mail address the operator alerts go to (optional; docs/operations.md).')
param alertEmail string = ''

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: {
    location: location
    tags: tags
    workspaceName: 'log-${token}'
    applicationInsightsName: 'appi-${token}'
    alertEmail: alertEmail
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'id-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'st${token}'
    deploymentContainerName: 'app-package'
  }
}

module vault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: group
  params: {
    location: location
    tags: tags
    name: 'kv-${token}'
    secrets: union(
      {
        'partner-center-client-secret': partnerCenterClientSecret
        'token-cache-encryption-key': tokenCacheEncryptionKey
      },
      empty(partnerCenterRefreshToken) ? {} : { 'partner-center-refresh-token': partnerCenterRefreshToken }
    )
  }
}

module access 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: group
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    deployerPrincipalId: deployerPrincipalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: group
  params: {
    location: location
    tags: tags
    planName: 'plan-${token}'
    name: 'func-${token}'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: 'app-package'
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    keyVaultUri: vault.outputs.uri
    hasRefreshToken: !empty(partnerCenterRefreshToken)
    productSettings: {
      PARTNER_CENTER_TENANT_ID: partnerCenterTenantId
      PARTNER_CENTER_CLIENT_ID: partnerCenterClientId
      PARTNER_SOLUTION_PROFILE_ID: partnerSolutionProfileId
      AUTH_MODE: 'entra'
      AUTH_ISSUER: '${environment().authentication.loginEndpoint}${partnerCenterTenantId}/v2.0'
      // v2.0 tokens: this issuer and the client id; v1.0 tokens: sts.windows.net/<tenant>/ (the
      // app derives it from this issuer) and the app ID URI.
      AUTH_CLIENT_ID: authClientId
      AUTH_APP_ID_URI: authAppIdUri
    }
  }
  // The app reads its secrets and storage as soon as it starts: roles first.
  dependsOn: [access]
}

output AZURE_RESOURCE_GROUP string = group.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output GATEWAY_URL string = functionApp.outputs.url
output KEY_VAULT_NAME string = vault.outputs.name
output STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
