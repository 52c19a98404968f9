// The Function App on the Flex Consumption plan, Node.js 22. Storage is reached with the managed
// identity only (no account keys in settings); every secret setting is a Key Vault reference.
param location string
param tags object
param planName string
param name string
param identityId string
param identityClientId string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultUri string
param hasRefreshToken bool

@description('The product\'s own settings (see docs/configuration.md), none secret.')
param productSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var platformSettings = {
  // Identity-based connection for the runtime, Durable Functions and the product's tables.
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // DefaultAzureCredential in the product picks the user-assigned identity by this.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// Secrets are Key Vault references (latest version), resolved by the platform with the app's identity.
var secretSettings = {
  PARTNER_CENTER_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/partner-center-client-secret/)'
  TOKEN_CACHE_ENCRYPTION_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/token-cache-encryption-key/)'
}

var refreshTokenSetting = {
  PARTNER_CENTER_REFRESH_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/partner-center-refresh-token/)'
}

var settings = union(platformSettings, productSettings, secretSettings, hasRefreshToken ? refreshTokenSetting : {})

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds what to deploy to by this tag: on the site only, as the azd samples do.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
        // Learn's Durable-on-Flex advice: one instance always ready for the orchestrations.
        alwaysReady: [{ name: 'durable', instanceCount: 1 }]
      }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for item in items(settings): { name: item.key, value: item.value }]
    }
  }
}

// No publishing passwords: deployments go through Entra ID (azd) only. (Flex Consumption has
// no FTP, so no FTP settings.)
resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}/api'
