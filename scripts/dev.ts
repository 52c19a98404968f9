/**
 * `npm run dev`: the whole product on one machine, nothing else needed. Starts Azurite, the local
 * identity provider and Partner Center sandbox (unless local.settings.json holds real Partner
 * Center credentials) and the local Functions host on http://127.0.0.1:7071. Ctrl-C stops all.
 *
 *   npm run dev [-- --sandbox] [-- --in-memory] [-- --port 7071] [-- --local-dir .local]
 *
 * --sandbox: use the local stand-ins even if local.settings.json holds real credentials.
 * --in-memory: keep nothing (default: Azurite's data and the sandbox's referrals are kept).
 * --local-dir: where instances keep their state; each port has its own folder (<local-dir>/<port>),
 *   so two instances in one checkout never share data or facts.
 */
import { randomUUID } from 'node:crypto';
import { REFERRAL_EVENTS } from '../shared/contract/partner-center-event';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SEED_EXAMPLE_FILE } from '../local/examples';
import { launchLocalProduct, portIsFree, type LocalProduct } from '../local/launcher';

const ROOT = resolve(__dirname, '..');
const AZURITE_PORT = 10002;

type Values = Record<string, string>;

function localSettings(): Values {
  const file = join(ROOT, 'local.settings.json');
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Values }).Values ?? {};
}

/** Real Partner Center when the app registration and a credential are configured. */
function hasRealCredentials(values: Values): boolean {
  const set = (name: string) => (values[name] ?? process.env[name] ?? '').trim() !== '';
  return (
    set('PARTNER_CENTER_TENANT_ID') &&
    set('PARTNER_CENTER_CLIENT_ID') &&
    (set('PARTNER_CENTER_CLIENT_SECRET') || set('PARTNER_CENTER_CLIENT_CERTIFICATE'))
  );
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const rule = '#'.repeat(width);
  return [rule, ...lines.map((l) => `# ${l.padEnd(width - 4)} #`), rule].join('\n');
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      'in-memory': { type: 'boolean', default: false },
      sandbox: { type: 'boolean', default: false },
      port: { type: 'string', default: '7071' },
      'local-dir': { type: 'string', default: join(ROOT, '.local') },
    },
  });
  const port = Number(args.port);
  if (!(await portIsFree(port))) {
    throw new Error(
      `Port ${port} is in use (another "npm run dev" or "func start"?). Stop it, or start this one on another port: npm run dev -- --port ${port + 1}`,
    );
  }
  const stateDir = join(resolve(args['local-dir']), String(port));
  const factsFile = join(stateDir, 'dev.json');
  const settings = localSettings();
  const sandboxMode = args.sandbox || !hasRealCredentials(settings);
  const storage = settings.AzureWebJobsStorage ?? process.env.AzureWebJobsStorage;
  const ownAzurite = !storage || /UseDevelopmentStorage=true/i.test(storage);

  let product: LocalProduct | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    // Ctrl-C reaches us twice (from the terminal and relayed by tsx): stop once, and never let
    // the second signal end the process before Azurite and the host are stopped.
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping...\n');
    await product?.stop();
    rmSync(factsFile, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    product = await launchLocalProduct({
      appRoot: ROOT,
      port,
      stateDir,
      inMemory: args['in-memory'],
      ...(ownAzurite ? { azuritePort: AZURITE_PORT } : { storage }),
      standIns: sandboxMode,
      // Allowed with the sandbox only: flows and curl need no token locally.
      auth: 'none',
      // The host's output is the developer's to see.
      console: true,
      output: (line) => process.stdout.write(`${line}\n`),
    });
    const { local, azurite } = product;
    const api = `${product.url}/api`;
    if (local) {
      // The sandbox sends its events to this gateway, as npm run register-webhooks would register.
      local.sandbox.webhooks.registration = {
        SubscriberId: randomUUID(),
        WebhookUrl: `${api}/partner-center/events`,
        WebhookEvents: [...REFERRAL_EVENTS],
      };
    }
    const curl = [
      `curl -i -X POST ${api}/referrals`,
      ...(sandboxMode ? [] : [`-H "Authorization: Bearer $TOKEN"`]),
      `-H 'Content-Type: application/json'`,
      `-H 'Idempotency-Key: ${randomUUID()}'`,
      `-H 'Prefer: wait=10'`,
      `--data @${SEED_EXAMPLE_FILE}`,
    ].join(' ');
    const kept = args['in-memory'] ? 'in memory' : `kept in ${stateDir}`;
    const facts = {
      mode: sandboxMode ? 'sandbox' : 'partner-center',
      startedAt: new Date().toISOString(),
      stateDir,
      pids: { dev: process.pid, host: product.host().child.pid, azurite: azurite?.pid },
      gateway: { baseUrl: api, health: `${api}/health`, referrals: `${api}/referrals` },
      ...(local
        ? {
            sandbox: {
              apiUrl: local.sandbox.apiUrl,
              referrals: `${local.sandbox.baseUrl}/_sandbox/referrals`,
              faults: `${local.sandbox.baseUrl}/_sandbox/faults`,
              incoming: `${local.sandbox.baseUrl}/_sandbox/incoming`,
              ...(product.consoleUrl ? { console: product.consoleUrl } : {}),
            },
            identityProvider: {
              authorityHost: local.identity.authorityHost,
              tenantId: local.identity.tenantId,
            },
          }
        : {}),
      ...(azurite ? { azurite: { tableEndpoint: azurite.tableEndpoint, data: kept } } : {}),
      curl,
    };
    writeFileSync(factsFile, `${JSON.stringify(facts, null, 2)}\n`);
    const modeLines = sandboxMode
      ? [
          'SANDBOX MODE: Partner Center and Entra ID are LOCAL STAND-INS.',
          'Nothing reaches Microsoft. Put real credentials in local.settings.json',
          '(see local.settings.json.sample) to talk to the real Partner Center.',
          'Callers are not authenticated (AUTH_MODE=none, sandbox only).',
        ]
      : ['PARTNER CENTER MODE: referrals are created in the REAL Partner Center.'];
    process.stdout.write(
      [
        '',
        banner(modeLines),
        '',
        `Gateway      ${api}  (health: ${api}/health)`,
        ...(local
          ? [
              `Sandbox      ${local.sandbox.baseUrl}/_sandbox/referrals  (what the sandbox holds, ${kept}; HTTPS with a self-signed certificate: curl -k)`,
              `Faults       POST ${local.sandbox.baseUrl}/_sandbox/faults  (rehearse an outage)`,
              `Microsoft    POST ${local.sandbox.baseUrl}/_sandbox/incoming  (send an incoming referral as Microsoft)`,
              `Events       the sandbox sends its signed events to ${api}/partner-center/events`,
              ...(product.consoleUrl
                ? [
                    `Console      ${product.consoleUrl}  (the SANDBOX console: engagements, act as Microsoft, faults)`,
                  ]
                : []),
            ]
          : []),
        ...(azurite ? [`Azurite      ${azurite.tableEndpoint}  (${kept})`] : []),
        `Facts        ${factsFile}`,
        '',
        'Create the seed example (a shared referral):',
        `  ${curl}`,
        ...(sandboxMode
          ? []
          : [
              '  (TOKEN: an Entra ID access token for this API (AUTH_CLIENT_ID) with Referrals.Create.)',
            ]),
        '',
        'Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(
      `npm run dev failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await shutdown(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run dev: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
