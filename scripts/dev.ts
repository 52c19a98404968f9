/**
 * `npm run dev`: the whole product on one machine, nothing else needed. Starts Azurite, the local
 * identity provider and Partner Center sandbox (unless local.settings.json holds real Partner
 * Center credentials) and the local Functions host on http://127.0.0.1:7071. Ctrl-C stops all.
 *
 *   npm run dev [-- --sandbox] [-- --in-memory] [-- --port 7071] [-- --local-dir .local]
 *
 * --sandbox: use the local stand-ins even if local.settings.json holds real credentials.
 * --in-memory: Azurite keeps nothing (default: its data stays in <local-dir>/azurite).
 * --local-dir: where the facts file (dev.json), Azurite's data and the stand-ins' certificates go.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../local/azurite';
import { startHostProcess, type HostProcess } from '../local/host/launch';
import {
  PARTNER_CENTER_SCOPE,
  partnerCenterSettings,
  startLocalPartnerCenter,
  type LocalPartnerCenter,
} from '../local/stand-ins';

const ROOT = resolve(__dirname, '..');
const SEED_EXAMPLE = 'scripts/examples/seed-shared-referral.json';

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

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
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
  const localDir = resolve(args['local-dir']);
  const factsFile = join(localDir, 'dev.json');
  const port = Number(args.port);
  if (!(await portIsFree(port))) {
    throw new Error(
      `Port ${port} is in use (another "npm run dev" or "func start"?). Stop it or pass --port.`,
    );
  }
  mkdirSync(localDir, { recursive: true });
  const settings = localSettings();
  const sandboxMode = args.sandbox || !hasRealCredentials(settings);

  const stoppers: (() => Promise<void>)[] = [];
  let host: HostProcess | undefined;
  const shutdown = async (code: number) => {
    process.stdout.write('\nStopping...\n');
    await host?.stop();
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    rmSync(factsFile, { force: true });
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    const azurite: RunningAzurite = await startAzurite({
      ...(args['in-memory'] ? {} : { location: join(localDir, 'azurite') }),
      ...((await portIsFree(10002)) ? { port: 10002 } : {}),
    });
    stoppers.push(() => azurite.stop());

    const env: Values = {};
    const storage = settings.AzureWebJobsStorage ?? process.env.AzureWebJobsStorage;
    if (!storage || /UseDevelopmentStorage=true/i.test(storage)) {
      env.AzureWebJobsStorage = azurite.connectionString;
    }
    let local: LocalPartnerCenter | undefined;
    if (sandboxMode) {
      local = await startLocalPartnerCenter();
      stoppers.push(() => (local as LocalPartnerCenter).stop());
      // The host trusts the stand-ins' self-signed certificates the standard Node.js way.
      const trust = join(localDir, 'local-stand-ins.pem');
      writeFileSync(trust, `${local.identity.certificate}\n${local.sandbox.certificate}\n`);
      Object.assign(env, {
        NODE_EXTRA_CA_CERTS: trust,
        ...partnerCenterSettings(local),
        // Real credentials in local.settings.json must not mix with the stand-ins'.
        PARTNER_CENTER_CLIENT_CERTIFICATE: '',
        PARTNER_CENTER_USERNAME: '',
        PARTNER_CENTER_SCOPE,
        // The stand-ins' cache lives as long as this run; a fresh key each time is enough.
        TOKEN_CACHE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        // Allowed with the sandbox only: flows and curl need no token locally.
        AUTH_MODE: 'none',
      });
    }

    host = await startHostProcess({ appRoot: ROOT, port, env });
    const api = `${host.url}/api`;
    const curl = [
      `curl -i -X POST ${api}/referrals`,
      ...(sandboxMode ? [] : [`-H "Authorization: Bearer $TOKEN"`]),
      `-H 'Content-Type: application/json'`,
      `-H 'Idempotency-Key: ${randomUUID()}'`,
      `-H 'Prefer: wait=10'`,
      `--data @${SEED_EXAMPLE}`,
    ].join(' ');
    const facts = {
      mode: sandboxMode ? 'sandbox' : 'partner-center',
      startedAt: new Date().toISOString(),
      pids: { dev: process.pid, host: host.child.pid, azurite: azurite.pid },
      gateway: { baseUrl: api, health: `${api}/health`, referrals: `${api}/referrals` },
      ...(local
        ? {
            sandbox: {
              apiUrl: local.sandbox.apiUrl,
              referrals: `${local.sandbox.baseUrl}/_sandbox/referrals`,
              faults: `${local.sandbox.baseUrl}/_sandbox/faults`,
            },
            identityProvider: {
              authorityHost: local.identity.authorityHost,
              tenantId: local.identity.tenantId,
            },
          }
        : {}),
      azurite: {
        tableEndpoint: azurite.tableEndpoint,
        persisted: args['in-memory'] ? false : join(localDir, 'azurite'),
      },
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
              `Sandbox      ${local.sandbox.baseUrl}/_sandbox/referrals  (what the sandbox holds; HTTPS with a self-signed certificate: curl -k)`,
              `Faults       POST ${local.sandbox.baseUrl}/_sandbox/faults  (rehearse an outage)`,
            ]
          : []),
        `Azurite      ${azurite.tableEndpoint}  (${args['in-memory'] ? 'in memory' : `data in ${join(localDir, 'azurite')}`})`,
        `Facts        ${factsFile}`,
        '',
        'Create the seed example (a shared referral):',
        `  ${curl}`,
        ...(sandboxMode
          ? []
          : ['  (TOKEN: an Entra ID access token for AUTH_AUDIENCE with Referrals.Create.)']),
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
