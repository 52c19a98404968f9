/** Table Storage clients from the settings: a connection string locally, managed identity in Azure. */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { Settings } from '../../config';
import { requestTimeoutPolicy } from './outage';

/** Every request with a timeout; the SDK's own retries (3, exponential) stay. */
const options = {
  additionalPolicies: [{ policy: requestTimeoutPolicy, position: 'perCall' as const }],
};

export function tableClient(settings: Settings, tableName: string): TableClient {
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    return new TableClient(
      settings.AzureWebJobsStorage__tableServiceUri,
      tableName,
      new DefaultAzureCredential(),
      options,
    );
  }
  const connectionString = settings.AzureWebJobsStorage ?? '';
  // Azurite (the local emulator) speaks plain HTTP on loopback only.
  const local = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, tableName, {
    ...options,
    allowInsecureConnection: local,
  });
}
