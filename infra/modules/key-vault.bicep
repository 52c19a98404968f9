// Key Vault (RBAC) holding the gateway's secrets, referenced from app settings.
param location string
param tags object
param name string

@secure()
@description('Secret name to value.')
param secrets object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    // Soft delete (always on) keeps a deleted vault 90 days; without purge protection,
    // `azd down --purge` removes it at once, so `azd up` can recreate the environment's vault
    // under the same name (see docs/deploy.md).
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for item in items(secrets): {
    parent: vault
    name: item.key
    properties: { value: item.value }
  }
]

output name string = vault.name
output uri string = vault.properties.vaultUri
