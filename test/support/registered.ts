import type { HostFunction } from '../../local/host/host';
import { freePort } from '../../local/azurite';
import { startHostProcess } from '../../local/host/launch';

/** The functions a Functions host learns from the app in `appRoot`, as it registers them. */
export async function registeredFunctions(appRoot: string): Promise<HostFunction[]> {
  const host = await startHostProcess({
    appRoot,
    port: await freePort(),
    env: { AzureWebJobsStorage: process.env.TEST_TABLES_CONNECTION_STRING as string },
    taskHub: `registered${Date.now()}`,
    output: () => undefined,
  });
  try {
    return host.functions;
  } finally {
    await host.stop();
  }
}
