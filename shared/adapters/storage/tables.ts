/** Table Storage clients from the settings: a connection string locally, managed identity in Azure. */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { Settings } from '../../config';
import { forgetTable } from './ensure-table';
import { requestTimeoutPolicy, tableLostPolicy } from './outage';

/**
 * Every request with a timeout (the SDK's own retries, 3 with back-off, stay), and a table found
 * missing is created again on its next use rather than staying lost.
 */
function optionsFor(client: () => TableClient) {
  return {
    additionalPolicies: [
      { policy: requestTimeoutPolicy, position: 'perCall' as const },
      { policy: tableLostPolicy(() => forgetTable(client())), position: 'perCall' as const },
    ],
  };
}

export function tableClient(settings: Settings, tableName: string): TableClient {
  const options = optionsFor(() => client);
  let client: TableClient;
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    client = new TableClient(
      settings.AzureWebJobsStorage__tableServiceUri,
      tableName,
      new DefaultAzureCredential(),
      options,
    );
    return client;
  }
  const connectionString = settings.AzureWebJobsStorage ?? '';
  // Azurite (the local emulator) speaks plain HTTP on loopback only.
  const local = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(connectionString);
  client = TableClient.fromConnectionString(connectionString, tableName, {
    ...options,
    allowInsecureConnection: local,
  });
  return client;
}
