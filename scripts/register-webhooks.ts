/**
 * `npm run register-webhooks [-- --callback-url <url>] [-- --replace]`: an operator's command (not
 * deployed) that shows Partner Center's webhook registration, registers the gateway's callback for
 * the four referral events, and sends a test event. Another URL already registered is left alone
 * unless `--replace` is given. It signs in as the integration user, like the gateway.
 */
import { fetchNetworkModule } from '../shared/adapters/partner-center/msal-network';
import { WebhookRegistrationClient } from '../shared/adapters/partner-center/webhook-registration';
import { registerGateway } from '../shared/application/webhook-registration';
import { loadSettings, type Settings } from '../shared/config';
import { tokenProviderFor } from '../functions/services';

export interface RegisterCommand {
  callbackUrl?: string;
  replace: boolean;
}

export function parseArguments(args: readonly string[]): RegisterCommand {
  const command: RegisterCommand = { replace: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--replace') command.replace = true;
    else if (arg === '--callback-url' && args[i + 1]) command.callbackUrl = args[++i];
    else throw new Error(`Unknown argument ${arg ?? ''}: use --callback-url <url> and --replace`);
  }
  return command;
}

/** The callback the gateway serves: given, else on its public address. */
export function callbackUrlOf(settings: Settings, command: RegisterCommand): string {
  if (command.callbackUrl) return command.callbackUrl;
  if (!settings.PUBLIC_BASE_URL) {
    throw new Error(
      'Set PUBLIC_BASE_URL (the Function App address) or give --callback-url https://<app>/api/partner-center/events',
    );
  }
  return `${settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}/api/partner-center/events`;
}

export async function runRegisterCommand(
  settings: Settings,
  command: RegisterCommand,
  print: (line: string) => void,
  fetchImpl?: typeof fetch,
): Promise<boolean> {
  const tokens = tokenProviderFor(
    settings,
    [settings.PARTNER_CENTER_WEBHOOK_SCOPE],
    fetchImpl ? { networkClient: fetchNetworkModule(fetchImpl) } : {},
  );
  const client = new WebhookRegistrationClient({
    baseUrl: settings.PARTNER_CENTER_WEBHOOK_API_URL,
    tokens,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  return registerGateway(
    client,
    { callbackUrl: callbackUrlOf(settings, command), replace: command.replace },
    print,
  );
}

if (require.main === module) {
  runRegisterCommand(loadSettings(), parseArguments(process.argv.slice(2)), (line) =>
    console.log(line),
  )
    .then((ok) => {
      process.exitCode = ok ? 0 : 1;
    })
    .catch((error: unknown) => {
      console.error(
        `Registration failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exitCode = 1;
    });
}
