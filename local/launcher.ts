/**
 * The one way to start the local product: Table Storage (Azurite, or a running one), the local
 * identity provider and Partner Center sandbox (or real credentials), and the local Functions
 * host with the app, as its own process. `npm run dev`, the end-to-end tests, the bench and the
 * soak all start it here.
 *
 * Each instance keeps its state in its own folder (Azurite's data, the sandbox's referrals, the
 * stand-ins' certificates), so two instances in one checkout never share or delete each other's.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxReferral } from './partner-center-sandbox';
import { freePort, startAzurite, type RunningAzurite } from './azurite';
import { startHostProcess, type HostProcess } from './host/launch';
import type { QueueModel } from './host/durable/queues';
import {
  PARTNER_CENTER_SCOPE,
  partnerCenterSettings,
  startLocalPartnerCenter,
  type LocalPartnerCenter,
} from './stand-ins';
import { startConsole } from './console/server';

/** The gateway API's app registration, locally: its client id and app ID URI. */
export const GATEWAY_CLIENT_ID = '3c1f9a52-7d4e-4b8a-9e0f-5a6b7c8d9e01';
export const GATEWAY_APP_ID_URI = 'api://referral-gateway';

export interface LaunchOptions {
  /** The function app's folder (package.json `main` is loaded from there). */
  appRoot: string;
  /** The host's port; default a free one. */
  port?: number;
  /**
   * This instance's folder: Azurite's data and the sandbox's referrals are kept there between
   * runs (unless `inMemory`), with the stand-ins' certificates. Default: a new temporary folder.
   */
  stateDir?: string;
  /** Keep nothing between runs. */
  inMemory?: boolean;
  /** A running Table Storage's connection string; default: start Azurite for this instance. */
  storage?: string;
  /** Azurite's port when this instance starts one and the port is free (e.g. 10002). */
  azuritePort?: number;
  /** Play Partner Center and Entra ID with the local stand-ins (default); false: real ones. */
  standIns?: boolean;
  /** Callers prove themselves with tokens of the local identity provider, or not at all. */
  auth?: 'entra' | 'none';
  /** Settings for the app, over the ones the launcher makes. */
  settings?: Record<string, string>;
  taskHub?: string;
  /** Durable messages delivered with production's delays and duplicates, scaled (default: at once). */
  queues?: QueueModel;
  /** Where the host's output goes (default: kept in `output`). */
  output?: (line: string) => void;
  /** Extra Node.js flags for the host process (e.g. --cpu-prof). */
  execArgv?: string[];
  /** Serve the sandbox console (a web page on loopback) next to the host. */
  console?: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface LocalProduct {
  /** The host's base URL, e.g. http://127.0.0.1:7071 (routes under /api). */
  url: string;
  stateDir: string;
  /** The environment the host runs with (secrets included, for the tests that look for them). */
  env: Record<string, string>;
  /** The stand-ins, when they play Partner Center. */
  local: LocalPartnerCenter | undefined;
  azurite: RunningAzurite | undefined;
  /** A caller token with both permissions (auth 'entra' with the stand-ins). */
  callerToken: string | undefined;
  /** The host's output lines, as written (when no `output` was given). */
  output: string[];
  /** The sandbox console's address, when it was asked for (and the stand-ins run). */
  consoleUrl: string | undefined;
  host(): HostProcess;
  /** An HTTP request to the gateway (a path, or a URL it gave out), with the caller token. */
  request(
    method: string,
    path: string,
    init?: { body?: string; headers?: Record<string, string> },
  ): Promise<HttpAnswer>;
  /** Every referral the sandbox holds, read over its HTTP control surface (stand-ins only). */
  sandboxReferrals(): Promise<SandboxReferral[]>;
  /** Kills the host process outright (SIGKILL) and starts it again on the same port. */
  killAndRestart(): Promise<void>;
  /**
   * Table Storage out of reach for `ms`: the launcher's Azurite stopped (saving its data) and
   * started again on the same port (needs an Azurite this launch started, kept on disk).
   */
  interruptStorage(ms: number): Promise<void>;
  /** Stops the host in order and starts it again, with some settings changed. */
  restart(settings?: Record<string, string>): Promise<void>;
  /** Stops the host in order (start it again with `startHost`). */
  stopHost(): Promise<void>;
  startHost(): Promise<void>;
  /** Stops everything this instance started. */
  stop(): Promise<void>;
}

/** The settings the app needs to use the stand-ins as Partner Center and Entra ID. */
export function standInSettings(local: LocalPartnerCenter, auth: 'entra' | 'none') {
  return {
    ...partnerCenterSettings(local),
    // Real credentials in local.settings.json must not mix with the stand-ins'.
    PARTNER_CENTER_CLIENT_CERTIFICATE: '',
    PARTNER_CENTER_USERNAME: '',
    PARTNER_CENTER_SCOPE,
    // The sandbox lists a new referral at once: a short bound keeps unknown outcomes quick.
    PARTNER_CENTER_LIST_DELAY_MS: '1000',
    // The stand-ins' identities live as long as this run; a fresh key each time is enough.
    TOKEN_CACHE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // Events signed by the sandbox chain to its own test root: trusted here, nowhere else.
    PARTNER_CENTER_EVENT_TRUSTED_ROOTS: local.sandbox.webhooks.rootPem,
    // The sandbox also plays Partner Center's own API (webhook registration).
    PARTNER_CENTER_WEBHOOK_API_URL: local.sandbox.baseUrl,
    // Subscribers on this machine (a flow's stand-in) may be told.
    NOTIFICATION_ALLOW_LOOPBACK: 'true',
    ...(auth === 'entra'
      ? {
          AUTH_MODE: 'entra',
          AUTH_ISSUER: local.identity.issuer,
          AUTH_CLIENT_ID: GATEWAY_CLIENT_ID,
          AUTH_APP_ID_URI: GATEWAY_APP_ID_URI,
        }
      : // Allowed with the sandbox only: flows and curl need no token locally.
        { AUTH_MODE: 'none' }),
  };
}

export async function launchLocalProduct(options: LaunchOptions): Promise<LocalProduct> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'referral-gateway-'));
  mkdirSync(stateDir, { recursive: true });
  const keep = !options.inMemory;
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    let azurite: RunningAzurite | undefined;
    if (!options.storage) {
      const preferred = options.azuritePort;
      azurite = await startAzurite({
        ...(keep ? { location: join(stateDir, 'azurite') } : {}),
        ...(preferred !== undefined && (await portIsFree(preferred)) ? { port: preferred } : {}),
      });
      stoppers.push(() => (azurite as RunningAzurite).stop());
    }
    const env: Record<string, string> = {
      AzureWebJobsStorage: options.storage ?? (azurite as RunningAzurite).connectionString,
    };
    let local: LocalPartnerCenter | undefined;
    let callerToken: string | undefined;
    const auth = options.auth ?? 'entra';
    if (options.standIns ?? true) {
      local = await startLocalPartnerCenter({
        ...(keep ? { sandboxStateFile: join(stateDir, 'sandbox.json') } : {}),
      });
      stoppers.push(() => (local as LocalPartnerCenter).stop());
      // The host trusts the stand-ins' self-signed certificates the standard Node.js way.
      const trust = join(stateDir, 'local-stand-ins.pem');
      writeFileSync(trust, `${local.identity.certificate}\n${local.sandbox.certificate}\n`);
      Object.assign(env, { NODE_EXTRA_CA_CERTS: trust }, standInSettings(local, auth));
      if (auth === 'entra') {
        // Shaped like a v2.0 app token Entra issues to a client with the gateway's roles.
        const oid = randomUUID();
        callerToken = await local.identity.signToken(
          {
            aud: GATEWAY_CLIENT_ID,
            ver: '2.0',
            tid: local.identity.tenantId,
            oid,
            sub: oid,
            azp: randomUUID(),
            azpacr: '1',
            idtyp: 'app',
            roles: [
              'Referrals.Create',
              'Referrals.Read',
              'Referrals.Update',
              'Referrals.Subscribe',
              'Referrals.Admin',
            ],
          },
          3600,
        );
      }
    }
    Object.assign(env, options.settings);

    const port = options.port ?? (await freePort());
    const output: string[] = [];
    const start = () =>
      startHostProcess({
        appRoot: options.appRoot,
        port,
        env,
        ...(options.taskHub ? { taskHub: options.taskHub } : {}),
        ...(options.queues ? { queues: options.queues } : {}),
        output: options.output ?? ((line) => output.push(line)),
        ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      });
    let host = await start();
    const url = host.url;
    stoppers.push(() => host.stop());
    let consoleUrl: string | undefined;
    if (options.console && local) {
      const running = await startConsole({
        sandboxBaseUrl: local.sandbox.baseUrl,
        sandboxFetch: local.fetch,
        gatewayApi: `${url}/api`,
        ...(callerToken ? { gatewayToken: callerToken } : {}),
      });
      consoleUrl = running.url;
      stoppers.push(() => running.close());
    }

    return {
      url,
      stateDir,
      env,
      local,
      azurite,
      callerToken,
      output,
      consoleUrl,
      host: () => host,
      async request(method, path, init = {}) {
        // A path on the gateway, or an absolute URL it gave out (a Location).
        const target = /^https?:\/\//.test(path) ? path : `${url}${path}`;
        const response = await fetch(target, {
          method,
          headers: {
            ...(callerToken ? { authorization: `Bearer ${callerToken}` } : {}),
            ...init.headers,
          },
          ...(init.body !== undefined ? { body: init.body } : {}),
        });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          // not JSON: keep the text
        }
        return { status: response.status, headers: response.headers, body };
      },
      async sandboxReferrals() {
        const stands = requireStandIns({ local });
        const response = await stands.fetch(`${stands.sandbox.baseUrl}/_sandbox/referrals`);
        return ((await response.json()) as { value: SandboxReferral[] }).value;
      },
      async killAndRestart() {
        await host.kill();
        host = await start();
      },
      async interruptStorage(ms) {
        const running = azurite;
        if (!running || !keep) {
          throw new Error('interruptStorage needs the Azurite this launch started, on disk');
        }
        const port = Number(new URL(running.tableEndpoint).port);
        await running.stop();
        await new Promise((resolve) => setTimeout(resolve, ms));
        azurite = await startAzurite({ location: join(stateDir, 'azurite'), port });
      },
      async restart(changes = {}) {
        await host.stop();
        Object.assign(env, changes);
        host = await start();
      },
      stopHost: () => host.stop(),
      async startHost() {
        host = await start();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The stand-ins of a product started with them. */
export function requireStandIns(product: Pick<LocalProduct, 'local'>): LocalPartnerCenter {
  if (!product.local) throw new Error('the local product was started without the stand-ins');
  return product.local;
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
