/** Table Storage clients from the settings: a connection string locally, managed identity in Azure. */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { Settings } from '../../config';

export function tableClient(settings: Settings, tableName: string): TableClient {
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    return new TableClient(
      settings.AzureWebJobsStorage__tableServiceUri,
      tableName,
      new DefaultAzureCredential(),
    );
  }
  const connectionString = settings.AzureWebJobsStorage ?? '';
  // Azurite (the local emulator) speaks plain HTTP on loopback only.
  const local = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, tableName, {
    allowInsecureConnection: local,
  });
}
