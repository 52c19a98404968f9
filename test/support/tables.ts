import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { withAzureLimits } from './azure-limits';

/** A client for a table of the run's Azurite. */
export function tableNamed(name: string): TableClient {
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString) throw new Error('Azurite is not running (jest globalSetup)');
  return TableClient.fromConnectionString(connectionString, name, {
    allowInsecureConnection: true,
  });
}

/** A table of its own for one test, in the run's Azurite, with Azure's entity limits. */
export function testTable(prefix: string): TableClient {
  return withAzureLimits(
    tableNamed(`${prefix}${randomBytes(6).toString('hex')}`.replace(/[^A-Za-z0-9]/g, '')),
  );
}
