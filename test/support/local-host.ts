/**
 * The whole product over real HTTP for end-to-end tests: the local Functions host as its own
 * process (the compiled app, as `npm run dev` runs it) in front of the local identity provider,
 * the Partner Center sandbox and the test run's Azurite. Each fixture has its own task hub and
 * tables, and can kill its host and start it again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../local/azurite';
import { startHostProcess, type HostProcess } from '../../local/host/launch';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../local/stand-ins';
import type { Referral } from '../../shared/contract/schema';
import { gatewayEnv } from './gateway';

const APP_ROOT = resolve(__dirname, '..', '..');

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

export const GATEWAY_AUDIENCE = 'api://referral-gateway';

export interface ProductFixture {
  local: LocalPartnerCenter;
  url: string;
  /** The environment the host runs with (secrets included, for the tests that look for them). */
  env: Record<string, string>;
  /** A caller token with both permissions; every request carries it unless told otherwise. */
  callerToken: string;
  /** The host's output lines, as written. */
  output: string[];
  request(
    method: string,
    path: string,
    init?: { body?: string; headers?: Record<string, string> },
  ): Promise<HttpAnswer>;
  /** Every referral the sandbox holds, read over its HTTP control surface. */
  sandboxReferrals(): Promise<Referral[]>;
  /** Kills the host process outright (SIGKILL) and starts it again on the same port. */
  killAndRestart(): Promise<void>;
  /** Stops the host in order and starts it again, with some settings changed. */
  restart(settings?: Record<string, string>): Promise<void>;
  /** Stops the host in order (start it again with `startHost`). */
  stopHost(): Promise<void>;
  startHost(): Promise<void>;
  stop(): Promise<void>;
}

export interface ProductOptions {
  /** Where the host's output goes (default: kept in `output`). */
  output?: (line: string) => void;
  /** Extra Node.js flags for the host process. */
  execArgv?: string[];
}

export async function startProduct(
  settings: Record<string, string> = {},
  options: ProductOptions = {},
): Promise<ProductFixture> {
  const local = await startLocalPartnerCenter();
  const folder = mkdtempSync(join(tmpdir(), 'referral-gateway-e2e-'));
  const trust = join(folder, 'local-stand-ins.pem');
  writeFileSync(trust, `${local.identity.certificate}\n${local.sandbox.certificate}\n`);
  const env: Record<string, string> = {
    ...gatewayEnv(local, {
      AUTH_MODE: 'entra',
      AUTH_ISSUER: local.identity.issuer,
      AUTH_AUDIENCE: GATEWAY_AUDIENCE,
      ...settings,
    }),
    ENGAGEMENT_TABLE: `eng${randomBytes(5).toString('hex')}`,
    NODE_EXTRA_CA_CERTS: trust,
  };
  const port = await freePort();
  const taskHub = `e2e${randomBytes(5).toString('hex')}`;
  const output: string[] = [];
  const start = () =>
    startHostProcess({
      appRoot: APP_ROOT,
      port,
      env,
      taskHub,
      output: options.output ?? ((line) => output.push(line)),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
  let host: HostProcess = await start();
  const url = host.url;

  const callerToken = await local.identity.signToken(
    {
      aud: GATEWAY_AUDIENCE,
      oid: randomUUID(),
      azp: randomUUID(),
      idtyp: 'app',
      roles: ['Referrals.Create', 'Referrals.Read'],
    },
    3600,
  );
  const request: ProductFixture['request'] = async (method, path, init = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${callerToken}`, ...init.headers },
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
  };

  return {
    local,
    url,
    env,
    callerToken,
    output,
    request,
    async sandboxReferrals() {
      const response = await local.fetch(`${local.sandbox.baseUrl}/_sandbox/referrals`);
      return ((await response.json()) as { value: Referral[] }).value;
    },
    async killAndRestart() {
      await host.kill();
      host = await start();
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
    async stop() {
      await host.stop();
      await local.stop();
    },
  };
}
