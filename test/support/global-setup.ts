/** Starts one Azurite for the whole test run; tests find it through the environment. */
import { startAzurite, type RunningAzurite } from '../../local/azurite';

declare global {
  var __AZURITE__: RunningAzurite | undefined;
}

export default async function globalSetup(): Promise<void> {
  const azurite = await startAzurite();
  globalThis.__AZURITE__ = azurite;
  process.env.TEST_TABLES_CONNECTION_STRING = azurite.connectionString;
}
