/**
 * The local host itself, with a small fixture app: functions learned from registration, HTTP
 * answers as the worker sends them, the Durable client API (start, status, events, terminate,
 * purge), orchestrations with events, timers and retried activities, and clear refusals. Where
 * the Durable extension behaves in a way the app can notice, the test asserts the extension's
 * behaviour and names its source.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { freePort, startAzurite } from '../../../local/azurite';
import { durableClientData } from '../../../local/host/durable/client-api';
import type { QueueModel } from '../../../local/host/durable/queues';
import { durableFinishedOperations } from '../../../shared/application/shared-referral/operations';
import { startHostProcess, type HostProcess } from '../../../local/host/launch';

jest.setTimeout(60000);

const FIXTURE_APP = join(__dirname, 'fixtures', 'app');

function storage(): string {
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING;
  if (!connectionString) throw new Error('Azurite is not running (jest globalSetup)');
  return connectionString;
}

interface FixtureOptions {
  appRoot?: string;
  taskHub?: string;
  env?: Record<string, string>;
  queues?: QueueModel;
}

async function startFixtureHost(options: FixtureOptions = {}) {
  const taskHub = options.taskHub ?? `fixture${randomBytes(5).toString('hex')}`;
  const output: string[] = [];
  const host = await startHostProcess({
    appRoot: options.appRoot ?? FIXTURE_APP,
    port: await freePort(),
    env: { AzureWebJobsStorage: storage(), ...options.env },
    taskHub,
    output: (line) => output.push(line),
    ...(options.queues ? { queues: options.queues } : {}),
  });
  return { host, taskHub, output };
}

/** The status as the extension's HTTP API sends it, with its history. */
async function rawStatus(host: HostProcess, id: string, query = 'showHistory=true') {
  const response = await fetch(`${host.durableRpcUrl}instances/${id}?${query}`);
  return (await response.json()) as {
    runtimeStatus: string;
    customStatus: unknown;
    output: unknown;
    historyEvents?: { EventType: string; FunctionName?: string; Result?: unknown }[];
  };
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

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  withinMs = 10000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
    // The extension names it `historyEvents`; the JavaScript client's `history` stays empty.
    expect(done.history).toBeUndefined();
    const { historyEvents } = await rawStatus(host, id, 'showHistory=true&showHistoryOutput=true');
    // As the HTTP API reference shows it: types by name, tasks with their function's name.
    const attempts = (historyEvents ?? []).filter((e) => e.FunctionName === 'flaky');
    expect(attempts.map((e) => e.EventType)).toEqual(['TaskFailed', 'TaskFailed', 'TaskCompleted']);
    expect(attempts[2]?.Result).toBe('"approved"');
    expect((historyEvents ?? []).map((e) => e.EventType)).not.toContain('OrchestratorStarted');
    const withoutOutput = await rawStatus(host, id);
    expect(withoutOutput.historyEvents?.some((e) => 'Result' in e)).toBe(false);

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

  it('refuses to start a second instance with the id of a running one, as a 500', async () => {
    // DurableClient.StartNewAsync throws InvalidOperationException for a running instance (the
    // app's overridableExistingInstanceStates: NonRunningStates); HttpApiHandler lets it through.
    const id = `twice-${randomBytes(4).toString('hex')}`;
    await client.startNew('approval', { instanceId: id });
    await expect(client.startNew('approval', { instanceId: id })).rejects.toThrow(
      /status code: 500.*already exists/,
    );
    await client.terminate(id, 'done');
  });

  it('refuses instance ids the extension refuses, naming the rule', async () => {
    // DurableClient.StartNewAsync: no leading '@', no '/', '\\', '#', '?' or control characters,
    // at most 256 characters.
    await expect(client.startNew('approval', { instanceId: '@entity' })).rejects.toThrow(
      /400.*must not start with @/,
    );
    await expect(client.startNew('approval', { instanceId: 'a\u0001b' })).rejects.toThrow(
      /400.*must not contain/,
    );
    await expect(client.startNew('approval', { instanceId: 'x'.repeat(257) })).rejects.toThrow(
      /400.*must not exceed 256 characters/,
    );
    const longest = 'y'.repeat(256);
    await expect(client.startNew('approval', { instanceId: longest })).resolves.toBe(longest);
    await client.terminate(longest, 'done');
  });

  it('purges a running instance, as DurableTask.AzureStorage does', async () => {
    const id = await client.startNew('approval');
    await until(
      () => client.getStatus(id),
      (s) => s.runtimeStatus === 'Running',
    );
    expect((await client.purgeInstanceHistory(id)).instancesDeleted).toBe(1);
    await expect(client.getStatus(id)).rejects.toThrow(/HTTP 404/);
  });

  it("purges finished instances created before a time through the product's adapter, never running ones", async () => {
    const finished = await client.startNew('customStatusOfSize', { input: 1 });
    const running = await client.startNew('approval');
    await until(
      () => client.getStatus(finished),
      (s) => s.runtimeStatus === 'Completed',
    );
    const operations = durableFinishedOperations(client);
    expect(
      await operations.purgeFinishedBefore(new Date(Date.now() + 1000)),
    ).toBeGreaterThanOrEqual(1);
    await expect(client.getStatus(finished)).rejects.toThrow(/HTTP 404/);
    expect((await client.getStatus(running)).runtimeStatus).toBe('Running');
    await client.terminate(running, 'done');
  });

  it('fails an orchestration whose custom status is over 16 KB, with the extension message', async () => {
    // DurableOrchestrationContext.SetCustomStatus: MaxCustomStatusPayloadSizeInKB = 16, measured
    // in UTF-16 bytes (MessagePayloadDataConverter.Serialize); the orchestration fails.
    const tooLarge = await client.startNew('customStatusOfSize', { input: 9000 });
    const failed = await until(
      () => client.getStatus(tooLarge),
      (s) => s.runtimeStatus === 'Failed' || s.runtimeStatus === 'Completed',
    );
    expect(failed.runtimeStatus).toBe('Failed');
    expect(failed.customStatus).toBeNull();
    expect(String(failed.output)).toMatch(
      /The UTF-16 size of the JSON-serialized payload must not exceed 16 KB\. The current payload size is 17 KB\./,
    );
    const fits = await client.startNew('customStatusOfSize', { input: 8000 });
    const done = await until(
      () => client.getStatus(fits),
      (s) => s.runtimeStatus === 'Failed' || s.runtimeStatus === 'Completed',
    );
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.customStatus).toHaveLength(8000);
  });

  it("gives an orchestrator an activity's failure as the extension words it", async () => {
    // The out-of-process TaskActivityShim: "Activity function '<name>' failed: <message>".
    const id = await client.startNew('catchesFailure');
    const done = await until(
      () => client.getStatus(id),
      (s) => s.runtimeStatus === 'Completed',
    );
    expect(String(done.output)).toMatch(/^Activity function 'failing' failed: boom \n \{/);
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

  it('answers the client calls it does not serve with 501 naming them, unknown routes 404', async () => {
    await expect(client.suspend('any', 'why')).rejects.toThrow(
      /501.*not supported by the local host/,
    );
    // HttpApiHandler answers 404 for what it has no route for.
    expect((await fetch(`${host.durableRpcUrl}nothing-here`)).status).toBe(404);
    const unknownAction = await fetch(`${host.durableRpcUrl}instances/any/dance`, {
      method: 'POST',
    });
    expect(unknownAction.status).toBe(404);
  });
});

describe('an orchestrator changed under a running instance', () => {
  it('fails the instance at its next replay, as the Durable Task framework does', async () => {
    const taskHub = `fixture${randomBytes(5).toString('hex')}`;
    const firstStepDone = async (host: HostProcess, id: string) =>
      until(
        () => rawStatus(host, id),
        (s) => (s.historyEvents ?? []).some((e) => e.EventType === 'TaskCompleted'),
      );

    const v1 = await startFixtureHost({ taskHub });
    const unchanged = await durableClient(v1.host, taskHub).startNew('versioned');
    const changed = await durableClient(v1.host, taskHub).startNew('versioned');
    await firstStepDone(v1.host, unchanged);
    await firstStepDone(v1.host, changed);
    await v1.host.stop();

    // The same code again: the replay matches its history and the instance completes.
    const again = await startFixtureHost({ taskHub });
    try {
      const client = durableClient(again.host, taskHub);
      await client.raiseEvent(unchanged, 'go', 'go');
      const done = await until(
        () => client.getStatus(unchanged),
        (s) => s.runtimeStatus !== 'Running',
      );
      expect(done.runtimeStatus).toBe('Completed');
      expect(done.output).toBe('first(a) go');
    } finally {
      await again.host.stop();
    }

    // Version 2 renamed the first activity: the replay no longer schedules what the history has.
    const v2 = await startFixtureHost({ taskHub, env: { FIXTURE_ORCHESTRATOR_VERSION: '2' } });
    try {
      const client = durableClient(v2.host, taskHub);
      await client.raiseEvent(changed, 'go', 'go');
      const failed = await until(
        () => client.getStatus(changed),
        (s) => s.runtimeStatus !== 'Running',
      );
      expect(failed.runtimeStatus).toBe('Failed');
      // TaskOrchestrationContext.HandleTaskScheduledEvent's NonDeterministicOrchestrationException.
      expect(String(failed.output)).toMatch(
        /^Non-Deterministic workflow detected: A previous execution of this orchestration scheduled an activity task with sequence ID 0 and name 'firstStep'/,
      );
    } finally {
      await v2.host.stop();
    }
  });
});

describe('the Durable engine with production-like queues (scaled clock)', () => {
  const runsFile = () => join(mkdtempSync(join(tmpdir(), 'fixture-runs-')), 'runs.txt');
  const runs = (file: string, tag: string) =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.startsWith(`${tag} `))
      : [];

  it('can deliver an activity twice at the same time; the first answer counts, once', async () => {
    const file = runsFile();
    const { host, taskHub } = await startFixtureHost({
      env: { FIXTURE_RUNS_FILE: file },
      queues: { scale: 0.01, duplicateActivities: 1 },
    });
    try {
      const client = durableClient(host, taskHub);
      const tag = `twice-${randomBytes(3).toString('hex')}`;
      const id = await client.startNew('recordedOnce', { input: { tag, ms: 300 } });
      const done = await until(
        () => client.getStatus(id),
        (s) => s.runtimeStatus === 'Completed',
      );
      expect(done.output).toBe(tag);
      // Both workers started before either finished: the activity ran concurrently with itself.
      await until(
        async () => runs(file, tag),
        (lines) => lines.length === 4,
      );
      expect(runs(file, tag).map((line) => line.split(' ')[1])).toEqual([
        'started',
        'started',
        'finished',
        'finished',
      ]);
      const { historyEvents } = await rawStatus(host, id);
      expect(historyEvents?.filter((e) => e.EventType === 'TaskCompleted')).toHaveLength(1);
    } finally {
      await host.stop();
    }
  });

  it('after a crash, runs an interrupted activity again only once its visibility timeout ends', async () => {
    const file = runsFile();
    const scale = 0.02; // a 5 min visibility timeout plays in 6 s
    const queues = { scale, duplicateActivities: 0 };
    const env = { FIXTURE_RUNS_FILE: file };
    const first = await startFixtureHost({ env, queues });
    const tag = `crash-${randomBytes(3).toString('hex')}`;
    const id = await durableClient(first.host, first.taskHub).startNew('recordedOnce', {
      input: { tag, ms: 1000 },
    });
    await until(
      async () => runs(file, tag),
      (lines) => lines.length === 1,
    );
    const startedAt = (line: string | undefined) => Number(line?.split(' ')[2]);
    const firstStart = startedAt(runs(file, tag)[0]);
    await first.host.kill();

    const second = await startFixtureHost({ env, queues, taskHub: first.taskHub });
    try {
      const client = durableClient(second.host, first.taskHub);
      await until(
        () => client.getStatus(id),
        (s) => s.runtimeStatus === 'Completed',
        30000,
      );
      const rerun = runs(file, tag).filter((line) => / started /.test(line))[1];
      expect(rerun).toBeDefined();
      // Sent at most one poll (600 ms here) before it first started; seen again 6 s after it was sent.
      const visibility = 300000 * scale;
      const longestPoll = 30000 * scale;
      expect(startedAt(rerun) - firstStart).toBeGreaterThanOrEqual(visibility - longestPoll);
    } finally {
      await second.host.stop();
    }
  });
});

describe('the Durable engine when its storage goes away for a while', () => {
  it('keeps the answer of an activity that finished meanwhile, and completes once storage is back', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fixture-azurite-'));
    const port = await freePort();
    let azurite = await startAzurite({ location: folder, port });
    const file = join(folder, 'runs.txt');
    const taskHub = `fixture${randomBytes(5).toString('hex')}`;
    const host = await startHostProcess({
      appRoot: FIXTURE_APP,
      port: await freePort(),
      env: { AzureWebJobsStorage: azurite.connectionString, FIXTURE_RUNS_FILE: file },
      taskHub,
      output: () => undefined,
    });
    try {
      const client = durableClient(host, taskHub);
      const id = await client.startNew('recordedOnce', { input: { tag: 'outage', ms: 1500 } });
      await until(
        async () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
        (text) => text.includes('outage started'),
      );
      // Storage stops while the activity runs: its answer cannot be written when it finishes.
      await azurite.stop();
      await until(
        async () => readFileSync(file, 'utf8'),
        (text) => text.includes('outage finished'),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      azurite = await startAzurite({ location: folder, port });

      const done = await until(
        () => client.getStatus(id).catch(() => undefined),
        (s) => s?.runtimeStatus === 'Completed',
        30000,
      );
      expect(done?.output).toBe('outage');
      // The activity ran once: its answer was kept and delivered, not lost with the outage.
      expect(readFileSync(file, 'utf8').match(/outage started/g)).toHaveLength(1);
    } finally {
      await host.stop();
      await azurite.stop();
    }
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
    await expect(startFixtureHost({ appRoot: app })).rejects.toThrow(
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
    await expect(startFixtureHost({ appRoot: app })).rejects.toThrow(
      /The "preInvocation" hook is not supported by the local host/,
    );
  });

  it('is refused when main names no compiled entry point', async () => {
    const app = mkdtempSync(join(tmpdir(), 'local-host-app-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ main: 'dist/functions/*.js' }));
    writeFileSync(join(app, 'host.json'), JSON.stringify({ version: '2.0' }));
    await expect(startFixtureHost({ appRoot: app })).rejects.toThrow(/run "npm run build" first/);
  });
});
