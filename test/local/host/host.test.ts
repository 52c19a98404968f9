/**
 * The local host itself, with a small fixture app: functions learned from registration, HTTP
 * answers as the worker sends them, the Durable client API (start, status, events, terminate,
 * purge), orchestrations with events, timers and retried activities, and clear refusals.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { freePort } from '../../../local/azurite';
import { durableClientData } from '../../../local/host/durable/client-api';
import { startHostProcess, type HostProcess } from '../../../local/host/launch';

jest.setTimeout(60000);

const FIXTURE_APP = join(__dirname, 'fixtures', 'app');

function storage(): string {
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString) throw new Error('Azurite is not running (jest globalSetup)');
  return connectionString;
}

async function startFixtureHost(appRoot = FIXTURE_APP, output: string[] = []) {
  const taskHub = `fixture${randomBytes(5).toString('hex')}`;
  const host = await startHostProcess({
    appRoot,
    port: await freePort(),
    env: { AzureWebJobsStorage: storage() },
    taskHub,
    output: (line) => output.push(line),
  });
  return { host, taskHub, output };
}

/** The `durable-functions` client, as a starter function gets it from the host. */
function durableClient(host: HostProcess, taskHub: string): df.DurableClient {
  const input = df.input.durableClient();
  const context = new InvocationContext({ options: { extraInputs: [input] } });
  const endpoints = {
    webhookBase: `${host.url}/runtime/webhooks/durabletask`,
    systemKey: host.systemKey,
    rpcBaseUrl: host.durableRpcUrl,
  };
  context.extraInputs.set(input, durableClientData(endpoints, taskHub));
  return df.getClient(context);
}

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function rawGet(base: string, path: string, host: string): Promise<number> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname: url.hostname, port: url.port, path: url.pathname, headers: { host } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

describe('the local host serving the fixture app', () => {
  let host: HostProcess;
  let client: df.DurableClient;

  beforeAll(async () => {
    const started = await startFixtureHost();
    host = started.host;
    client = durableClient(host, started.taskHub);
  });

  afterAll(() => host?.stop());

  it('answers as the worker would: status, headers, cookies and body', async () => {
    const response = await fetch(`${host.url}/api/cookies`);
    expect(response.status).toBe(203);
    expect(response.headers.get('x-fixture')).toBe('yes');
    expect(response.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly');
    expect(await response.text()).toBe('hello');
  });

  it('answers 404 for unknown routes and for methods a function does not take', async () => {
    expect((await fetch(`${host.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/cookies`, { method: 'DELETE' })).status).toBe(404);
  });

  it('guards the Durable management API as Azure does', async () => {
    const api = `${host.url}/runtime/webhooks/durabletask/instances`;
    // The public route needs the system key.
    expect((await fetch(api)).status).toBe(401);
    expect((await fetch(`${api}?code=guess`)).status).toBe(401);
    expect((await fetch(`${api}?code=${host.systemKey}`)).status).toBe(200);
    // A browser's request (an Origin) or one for another host name (DNS rebinding) is refused,
    // key or not; a text/plain start from a web page cannot create anything.
    const fromPage = { headers: { origin: 'https://evil.example' } };
    expect((await fetch(`${api}?code=${host.systemKey}`, fromPage)).status).toBe(403);
    const start = `${host.durableRpcUrl}orchestrators/approval`;
    const simplePost = {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: '{}',
    };
    expect((await fetch(start, simplePost)).status).toBe(403);
    const rebound = await rawGet(host.durableRpcUrl, 'instances', 'attacker.example:80');
    expect(rebound).toBe(403);
    // The loopback endpoint serves the durable client itself.
    expect((await fetch(`${host.durableRpcUrl}instances`)).status).toBe(200);
  });

  it('runs an orchestration through an event, a timer and a retried activity', async () => {
    const started = await fetch(`${host.url}/api/start/approval`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { id, statusQueryGetUri } = (await started.json()) as {
      id: string;
      statusQueryGetUri: string;
    };
    expect(started.headers.get('location')).toBe(statusQueryGetUri);

    const waiting = await until(
      () => client.getStatus(id),
      (s) => s.customStatus === 'waiting for a decision',
    );
    expect(waiting.runtimeStatus).toBe('Running');

    await client.raiseEvent(id, 'decision', 'approved');
    const done = await until(
      () => client.getStatus(id, { showHistory: true }),
      (s) => s.runtimeStatus !== 'Running',
    );
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual({ decision: 'approved' });
    expect(done.customStatus).toBe('decided');
    const history = done.history as { EventType: number; Name?: string }[];
    const scheduled = history.filter((e) => e.EventType === 4 && e.Name === 'flaky');
    expect(scheduled).toHaveLength(3); // two failed attempts, then the one that answered

    const viaWebhook = await fetch(statusQueryGetUri);
    expect(viaWebhook.status).toBe(200);
    expect(((await viaWebhook.json()) as { runtimeStatus: string }).runtimeStatus).toBe(
      'Completed',
    );
  });

  it('terminates, lists and purges instances', async () => {
    const started = await fetch(`${host.url}/api/start/approval`, { method: 'POST' });
    const { id } = (await started.json()) as { id: string };
    await until(
      () => client.getStatus(id),
      (s) => s.runtimeStatus === 'Running',
    );
    await client.terminate(id, 'no longer needed');
    const ended = await until(
      () => client.getStatus(id),
      (s) => s.runtimeStatus !== 'Running',
    );
    expect(ended.runtimeStatus).toBe('Terminated');
    expect(ended.output).toBe('no longer needed');
    await expect(client.raiseEvent(id, 'decision', 'late')).resolves.toBeUndefined(); // 410

    const terminated = await client.getStatusBy({
      runtimeStatus: [df.OrchestrationRuntimeStatus.Terminated],
    });
    expect(terminated.map((s) => s.instanceId)).toContain(id);

    const purged = await client.purgeInstanceHistory(id);
    expect(purged.instancesDeleted).toBe(1);
    await expect(client.getStatus(id)).rejects.toThrow(/HTTP 404/);
  });

  it('refuses to start a second instance with the id of a running one', async () => {
    const id = `twice-${randomBytes(4).toString('hex')}`;
    await client.startNew('approval', { instanceId: id });
    await expect(client.startNew('approval', { instanceId: id })).rejects.toThrow(/409/);
    await client.terminate(id, 'done');
  });

  it('fails an orchestration that asks for what the host does not do, saying so', async () => {
    const started = await fetch(`${host.url}/api/start/nested`, { method: 'POST' });
    const { id } = (await started.json()) as { id: string };
    const ended = await until(
      () => client.getStatus(id),
      (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending',
    );
    expect(ended.runtimeStatus).toBe('Failed');
    expect(String(ended.output)).toMatch(/CallSubOrchestrator is not supported by the local host/);
  });

  it('answers the client calls it does not serve with 501, naming them', async () => {
    await expect(client.suspend('any', 'why')).rejects.toThrow(
      /501.*not supported by the local host/,
    );
  });
});

describe('an app using what the local host does not support', () => {
  it('is refused at start-up, naming the function and the binding', async () => {
    const app = mkdtempSync(join(tmpdir(), 'local-host-app-'));
    mkdirSync(join(app, 'dist'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ main: 'dist/*.js' }));
    writeFileSync(join(app, 'host.json'), JSON.stringify({ version: '2.0' }));
    writeFileSync(
      join(app, 'dist', 'queue.js'),
      `const { app } = require(${JSON.stringify(require.resolve('@azure/functions'))});
app.storageQueue('onMessage', { queueName: 'work', connection: 'AzureWebJobsStorage', handler: () => undefined });`,
    );
    await expect(startFixtureHost(app)).rejects.toThrow(
      /Function "onMessage": binding "queueTrigger\w*" of type "queueTrigger" is not supported by the local host/,
    );
  });

  it('is refused when it registers a hook other than app start and terminate', async () => {
    const app = mkdtempSync(join(tmpdir(), 'local-host-app-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ main: 'main.js' }));
    writeFileSync(join(app, 'host.json'), JSON.stringify({ version: '2.0' }));
    writeFileSync(
      join(app, 'main.js'),
      `const { app } = require(${JSON.stringify(require.resolve('@azure/functions'))});
app.hook.preInvocation(() => undefined);`,
    );
    await expect(startFixtureHost(app)).rejects.toThrow(
      /The "preInvocation" hook is not supported by the local host/,
    );
  });

  it('is refused when main names no compiled entry point', async () => {
    const app = mkdtempSync(join(tmpdir(), 'local-host-app-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ main: 'dist/functions/*.js' }));
    writeFileSync(join(app, 'host.json'), JSON.stringify({ version: '2.0' }));
    await expect(startFixtureHost(app)).rejects.toThrow(/run "npm run build" first/);
  });
});
