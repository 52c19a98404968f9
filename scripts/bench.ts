/**
 * `npm run bench`: what the gateway costs, measured side by side in one run on this machine
 * against the local host and the Partner Center sandbox, and quoted as ratios (gateway / direct).
 * What runs is the deployment package (`npm run package`), as it will run in Azure.
 * Prints progress, then a summary table; writes the figures to .local/bench/result.json.
 *
 *   npm run bench [-- --quick]     (--quick: fewer requests, for a smoke run)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { freePort, startAzurite, type RunningAzurite } from '../local/azurite';
import { bundleLoadMs, moduleInitMs } from '../local/bench/module-init';
import { cpuDuring, residentMbOf } from '../local/bench/process-stats';
import { startStorageCounter } from '../local/bench/storage-counter';
import { asIndependent, seedExample } from '../local/examples';
import { startHostProcess, type HostProcess } from '../local/host/launch';
import { launchLocalProduct, requireStandIns, type LocalProduct } from '../local/launcher';
import { PARTNER_CENTER_AUDIENCE } from '../local/stand-ins';
import { appBundle } from './bundle';
import { buildPackage, PACKAGE_DIR } from './package';

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, '.local', 'bench');
const HELLO_APP = join(ROOT, 'local', 'bench', 'hello-app');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const scale = args.quick ? 0.1 : 1;
const coldStartRuns = args.quick ? 3 : 9;

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  requests: number;
}

const progress = (line: string) => console.log(`[bench] ${line}`);
const ratio = (gateway: number, direct: number) => Math.round((gateway / direct) * 100) / 100;
const round1 = (value: number) => Math.round(value * 10) / 10;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A create with a body and idempotency key of its own, as flows send them. */
function uniqueCreate(): { body: string; key: string } {
  return {
    body: JSON.stringify({
      ...asIndependent(seedExample()),
      externalReferenceId: `bench-${randomUUID()}`,
    }),
    key: randomUUID(),
  };
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

async function load(
  target: Target,
  options: { connections: number; amount?: number; duration?: number },
): Promise<autocannon.Result> {
  const result = await autocannon({
    url: target.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { body, key } = uniqueCreate();
          return {
            ...request,
            body,
            headers: {
              ...target.headers,
              'content-type': 'application/json',
              // The gateway's idempotency key; Partner Center's own per-call ids for direct calls.
              'idempotency-key': key,
              'request-id': randomUUID(),
              'client-request-id': randomUUID(),
            },
          };
        },
      },
    ],
  });
  // Only successful creates count: a comparison against errors would mean nothing.
  const failed = result.errors + result.non2xx;
  if (failed > 0)
    throw new Error(`${failed} of ${result.requests.total} creates to ${target.url} failed`);
  return result;
}

const latencyOf = (result: autocannon.Result): Latency => ({
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  requests: result.requests.total,
});

interface Bench {
  product: LocalProduct;
  azurite: RunningAzurite;
  gateway: Target;
  direct: Target;
  /** The host's log lines, kept only while a phase wants them. */
  hostLines: { lines: string[] | undefined };
}

async function main(): Promise<void> {
  const started = Date.now();
  progress('building the deployment package: what is measured is what is deployed');
  await buildPackage();
  progress('starting Azurite, the identity provider, the sandbox and the local host');
  const hostLines: Bench['hostLines'] = { lines: undefined };
  const product = await launchLocalProduct({
    appRoot: PACKAGE_DIR,
    inMemory: true,
    auth: 'entra',
    output: (line) => hostLines.lines?.push(line),
    // Lets the memory phase collect garbage before it counts what the host still holds.
    execArgv: ['--expose-gc'],
  });
  const local = requireStandIns(product);
  // Direct: the same creates straight to the sandbox, with an App+User token as the gateway has.
  const directToken = await local.identity.signToken(
    {
      aud: PARTNER_CENTER_AUDIENCE,
      oid: randomUUID(),
      upn: 'referrals@partner.example',
      scp: 'user_impersonation',
      tid: local.identity.tenantId,
    },
    7200,
  );
  const bench: Bench = {
    product,
    azurite: product.azurite as RunningAzurite,
    gateway: {
      url: `${product.url}/api/referrals`,
      headers: { authorization: `Bearer ${product.callerToken}` },
    },
    direct: {
      url: `${local.sandbox.apiUrl}/engagements/referrals`,
      headers: { authorization: `Bearer ${directToken}` },
    },
    hostLines,
  };
  const results: Record<string, unknown> = {};
  try {
    progress('warming up');
    local.sandbox.latencyMs = 0;
    await load(bench.direct, { connections: 4, amount: 200 });
    await load(bench.gateway, { connections: 4, amount: 200 });

    local.sandbox.latencyMs = 50;
    results.latency = await latencies(bench, results);
    progress('a Table Storage round trip, paced as the gateway makes them (one per create)');
    results.storage = await storageRoundTrip(bench.azurite, Math.round(200 * Math.max(scale, 0.5)));

    local.sandbox.latencyMs = 0;
    results.throughput = await throughput(bench);
    results.cpu = await cpuPerCreate(bench);
    results.memory = await memory(bench);
    results.tokens = await tokenRequests(bench);

    progress(
      `cold start: process start to first success, ${coldStartRuns} runs each (gateway, hello world)`,
    );
    results.coldStart = await coldStart(bench, coldStartRuns);

    local.sandbox.latencyMs = 50;
    const flows = Math.max(5, Math.round(30 * scale));
    progress(`shared flow: ${flows} shared referrals, POST to completed, vs two direct creates`);
    results.sharedFlow = await sharedFlow(bench, flows);
  } finally {
    await product.stop();
  }
  // After the product: these load the bundle in processes of their own, waited for in turn.
  progress('cold start: loading the bundle, in all and module by module (CPU profiles)');
  results.bundleLoad = {
    ms: Math.round(bundleLoadMs(join(PACKAGE_DIR, 'app.js'), OUT, coldStartRuns)),
    byModuleMs: await moduleInit(coldStartRuns),
  };
  progress('storage round trips per create and per shared flow (counted at Table Storage)');
  results.roundTrips = await roundTrips();
  results.machine = { cpus: cpus().length, node: process.version };
  results.wallSeconds = Math.round((Date.now() - started) / 1000);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'result.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n${summary(results as unknown as Results)}\n\nFigures written to .local/bench/result.json`,
  );
}

async function latencies(bench: Bench, results: Record<string, unknown>) {
  const latency: Record<string, { direct: Latency; gateway: Latency }> = {};
  for (const connections of [1, 32]) {
    const amount = Math.max(20, Math.round((connections === 1 ? 300 : 3000) * scale));
    progress(`latency at 50 ms upstream, ${connections} client(s), ${amount} creates each way`);
    const direct = latencyOf(await load(bench.direct, { connections, amount }));
    if (connections === 1) bench.hostLines.lines = [];
    const gateway = latencyOf(await load(bench.gateway, { connections, amount }));
    latency[`c${connections}`] = { direct, gateway };
    if (bench.hostLines.lines)
      results.timeInGateway = whereTimeGoes(bench.hostLines.lines, gateway.p50);
    bench.hostLines.lines = undefined;
  }
  return latency;
}

/**
 * The round trip the gateway must make before calling Partner Center (its reservation): an
 * insert of an entity the reservation's size, one every 50 ms as at one client, from this process.
 */
async function storageRoundTrip(azurite: RunningAzurite, count: number) {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'benchRoundTrip', {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const request = uniqueCreate().body;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(50);
    const began = performance.now();
    await table.createEntity({ partitionKey: randomUUID(), rowKey: 'referral', request });
    times.push(performance.now() - began);
  }
  // Back to back, for comparison, and its CPU in the caller: the SDK and one HTTP exchange.
  const backToBack: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const began = performance.now();
    await table.createEntity({ partitionKey: randomUUID(), rowKey: 'referral', request });
    backToBack.push(performance.now() - began);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    p50Ms: round1(median(times)),
    backToBackP50Ms: round1(median(backToBack)),
    callerCpuUs: Math.round((cpu.user + cpu.system) / count),
    count,
  };
}

async function throughput(bench: Bench) {
  const duration = Math.max(2, Math.round(10 * scale));
  progress(`throughput at 0 ms upstream, 32 clients, ${duration} s each way`);
  const pids = {
    'load generator and sandbox': process.pid,
    host: bench.product.host().child.pid as number,
    Azurite: bench.azurite.pid as number,
  };
  const direct = await cpuDuring(pids, () => load(bench.direct, { connections: 32, duration }));
  const gateway = await cpuDuring(pids, () => load(bench.gateway, { connections: 32, duration }));
  // A process's share of one core over the run: near 100% it is what limits the rate.
  const busy = (run: typeof direct) =>
    Object.fromEntries(
      Object.entries(run.cpuMs).map(([name, ms]) => [name, Math.round((ms / run.wallMs) * 100)]),
    );
  return {
    direct: direct.result.requests.average,
    gateway: gateway.result.requests.average,
    busyPercentOfOneCore: { direct: busy(direct), gateway: busy(gateway) },
  };
}

/**
 * CPU per create in each process, and the app's own: the host's CPU per create less the same
 * local host's CPU per request serving a hello-world app (its HTTP in and out, the invocation).
 */
async function cpuPerCreate(bench: Bench) {
  const amount = Math.max(500, Math.round(3000 * scale));
  progress(`CPU per create: ${amount} creates at 8 clients, then as many hello-world requests`);
  const pids = {
    'load generator and sandbox': process.pid,
    host: bench.product.host().child.pid as number,
    Azurite: bench.azurite.pid as number,
  };
  const gateway = await cpuDuring(pids, () => load(bench.gateway, { connections: 8, amount }));
  const perCreateUs = Object.fromEntries(
    Object.entries(gateway.cpuMs).map(([name, ms]) => [name, Math.round((ms * 1000) / amount)]),
  );
  const hello = await withHelloHost(bench.azurite, async (host, url) => {
    await autocannon({ url, connections: 8, amount: 200 });
    const run = await cpuDuring({ host: host.child.pid as number }, () =>
      autocannon({ url, connections: 8, amount }),
    );
    return Math.round(((run.cpuMs.host ?? 0) * 1000) / amount);
  });
  return {
    perCreateUs,
    helloWorldHostUsPerRequest: hello,
    appUsPerCreate: (perCreateUs.host ?? 0) - hello,
    creates: amount,
  };
}

/** Starts the local host with the hello-world app, runs `work`, stops it. */
async function withHelloHost<T>(
  azurite: RunningAzurite,
  work: (host: HostProcess, url: string) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const host = await startHostProcess({
    appRoot: HELLO_APP,
    port,
    env: { AzureWebJobsStorage: azurite.connectionString },
    output: () => undefined,
  });
  try {
    return await work(host, `http://127.0.0.1:${port}/api/hello`);
  } finally {
    await host.stop();
  }
}

/**
 * The host's memory as creates are served, after a full collection each time: what it still holds
 * must not grow with their number (resident memory also shows the heap V8 keeps for reuse).
 */
async function memory(bench: Bench) {
  const total = args.quick ? 2000 : 10000;
  const step = total / 4;
  progress(`memory: a fresh host over ${total} creates`);
  await bench.product.restart();
  const host = () => bench.product.host();
  const sample = async (creates: number) => {
    const usage = await host().memory();
    return {
      creates,
      residentMb: residentMbOf(host().child.pid as number),
      heapUsedMb: round1(usage.heapUsed / 1024 / 1024),
    };
  };
  await load(bench.gateway, { connections: 8, amount: 200 });
  const samples = [await sample(200)];
  for (let served = 200; served < total + 200; served += step) {
    await load(bench.gateway, { connections: 8, amount: step });
    samples.push(await sample(served + step));
  }
  return { samples };
}

async function tokenRequests(bench: Bench) {
  progress('token requests: a host with an empty token cache, then 1,000 creates');
  const identity = requireStandIns(bench.product).identity;
  const count = () => Object.values(identity.tokenRequests).reduce((a, b) => a + b, 0);
  // Counted from before the start: the app-start warm-up already asks for the first token.
  const before = count();
  await bench.product.restart({ TOKEN_CACHE_TABLE: `benchtokens${Date.now()}` });
  const run = await load(bench.gateway, { connections: 8, amount: 1000 });
  return { creates: run.requests.total, tokenRequests: count() - before };
}

/** Milliseconds from starting a process to its first successful answer. */
async function timeToFirst(start: () => Promise<unknown>, ok: () => Promise<boolean>) {
  const began = performance.now();
  await start();
  while (!(await ok().catch(() => false))) await sleep(10);
  return performance.now() - began;
}

async function coldStart(bench: Bench, runs: number) {
  const gateway: number[] = [];
  const hello: number[] = [];
  const { product, azurite } = bench;
  for (let i = 0; i < runs; i++) {
    await product.stopHost();
    const port = await freePort();
    let helloHost: HostProcess | undefined;
    hello.push(
      await timeToFirst(
        async () => {
          helloHost = await startHostProcess({
            appRoot: HELLO_APP,
            port,
            env: { AzureWebJobsStorage: azurite.connectionString },
            output: () => undefined,
          });
        },
        async () => (await fetch(`http://127.0.0.1:${port}/api/hello`)).status === 200,
      ),
    );
    await helloHost?.stop();
    const { body, key } = uniqueCreate();
    const headers = { 'content-type': 'application/json', 'idempotency-key': key };
    gateway.push(
      await timeToFirst(
        () => product.startHost(),
        async () =>
          (await product.request('POST', '/api/referrals', { body, headers })).status === 201,
      ),
    );
  }
  return { gatewayMs: Math.round(median(gateway)), helloWorldMs: Math.round(median(hello)), runs };
}

/** CPU per module while the bundle loads, from an unminified build of the same bundle. */
async function moduleInit(runs: number) {
  const bundle = join(OUT, 'module-init', 'app.js');
  await build({ ...appBundle(bundle, false), minify: false });
  const byModule = moduleInitMs(bundle, join(OUT, 'module-init'), runs);
  return Object.fromEntries(Object.entries(byModule).sort((a, b) => b[1] - a[1]));
}

async function sharedFlow(bench: Bench, flows: number) {
  const shared: number[] = [];
  const direct: number[] = [];
  const timelines: FlowTimeline[] = [];
  const { product } = bench;
  for (let i = 0; i < flows; i++) {
    bench.hostLines.lines = [];
    const flow = await oneSharedFlow(product);
    shared.push(flow.ms);
    const timeline = flowTimeline(bench.hostLines.lines, flow);
    if (timeline) timelines.push(timeline);
    bench.hostLines.lines = undefined;
    const twoCreates = performance.now();
    for (let step = 0; step < 2; step++) {
      const response = await requireStandIns(product).fetch(bench.direct.url, {
        method: 'POST',
        headers: {
          ...bench.direct.headers,
          'content-type': 'application/json',
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
        body: uniqueCreate().body,
      });
      await response.text();
      if (response.status !== 201) throw new Error(`a direct create answered ${response.status}`);
    }
    direct.push(performance.now() - twoCreates);
  }
  const phases = Object.fromEntries(
    (Object.keys(timelines[0] ?? {}) as (keyof FlowTimeline)[]).map((phase) => [
      phase,
      median(timelines.map((t) => t[phase])),
    ]),
  );
  return {
    sharedMs: Math.round(median(shared)),
    twoDirectCreatesMs: Math.round(median(direct)),
    /** Medians of where a flow's time goes, from the host's log lines. */
    phasesMs: phases as Partial<FlowTimeline>,
    flows,
  };
}

/** Where one shared flow's time went, in milliseconds (log times are whole milliseconds). */
interface FlowTimeline {
  /** From the POST to its 202. */
  accepted: number;
  /** From the start to the partner's create being sent: a Durable hop, then the step's claim. */
  toFirstStep: number;
  /** The two Partner Center calls. */
  partnerCenter: number;
  /** After each call, recording the step (the mapping and creator, then the step row). */
  recording: number;
  /** From the partner's step done to Microsoft's create sent: a Durable hop, then the claim. */
  betweenSteps: number;
  /** From Microsoft's step done to the orchestration completed: a Durable hop. */
  toCompleted: number;
  /** From completed to the caller's poll seeing it. */
  toCaller: number;
}

function flowTimeline(
  lines: string[],
  flow: {
    correlationId: string;
    operationId: string;
    startedAt: number;
    acceptedAt: number;
    doneAt: number;
  },
): FlowTimeline | undefined {
  const events = lines.flatMap((line) => {
    const json = line.indexOf('{');
    if (json < 0) return [];
    try {
      const fields = JSON.parse(line.slice(json)) as {
        event?: string;
        correlationId?: string;
        operationId?: string;
        durationMs?: number;
      };
      return [
        {
          at: Date.parse(line.slice(0, 24)),
          function: line.slice(26, line.indexOf(':', 26)),
          ...fields,
        },
      ];
    } catch {
      return [];
    }
  });
  const find = (event: string, fn?: string) =>
    events.find(
      (e) =>
        e.event === event &&
        (fn === undefined || e.function === fn) &&
        (e.correlationId === flow.correlationId || e.operationId === flow.operationId),
    );
  const partner = find('partnerCenter.attempt', 'createPartnerReferral');
  const partnerDone = find('sharedReferral.stepDone', 'createPartnerReferral');
  const microsoft = find('partnerCenter.attempt', 'createMicrosoftReferral');
  const microsoftDone = find('sharedReferral.stepDone', 'createMicrosoftReferral');
  const started = find('sharedReferral.started');
  const completed = find('sharedReferral.completed');
  if (!partner || !partnerDone || !microsoft || !microsoftDone || !started || !completed) {
    return undefined;
  }
  const duration = (e: { durationMs?: unknown }) => Number(e.durationMs);
  return {
    accepted: Math.round(flow.acceptedAt - flow.startedAt),
    toFirstStep: partner.at - duration(partner) - started.at,
    partnerCenter: duration(partner) + duration(microsoft),
    recording: partnerDone.at - partner.at + (microsoftDone.at - microsoft.at),
    betweenSteps: microsoft.at - duration(microsoft) - partnerDone.at,
    toCompleted: completed.at - microsoftDone.at,
    toCaller: Math.round(flow.doneAt - completed.at),
  };
}

/** One shared referral, POST to its completed answer (polled every 20 ms). */
async function oneSharedFlow(product: LocalProduct) {
  const request = { ...seedExample(), externalReferenceId: `bench-${randomUUID()}` };
  const correlationId = randomUUID();
  const startedAt = Date.now();
  const began = performance.now();
  const accepted = await product.request('POST', '/api/referrals', {
    body: JSON.stringify(request),
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'x-correlation-id': correlationId,
    },
  });
  const acceptedAt = Date.now();
  const location = accepted.headers.get('location') as string;
  for (;;) {
    const status = await product.request('GET', location);
    if (status.status === 201) break;
    if (status.status !== 202) throw new Error(`shared flow ended ${status.status}`);
    await sleep(20);
  }
  return {
    ms: performance.now() - began,
    operationId: location.slice(location.lastIndexOf('/') + 1),
    correlationId,
    startedAt,
    acceptedAt,
    doneAt: Date.now(),
  };
}

/** Episodes of an orchestration: its start, then one per answer it received (its history). */
async function episodesOf(product: LocalProduct, instanceId: string): Promise<number> {
  const url = `${product.url}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true&code=${product.host().systemKey}`;
  const status = (await (await fetch(url)).json()) as { historyEvents?: { EventType: string }[] };
  const answers = new Set(['TaskCompleted', 'TaskFailed', 'TimerFired', 'EventRaised']);
  return 1 + (status.historyEvents ?? []).filter((e) => answers.has(e.EventType)).length;
}

/**
 * Table Storage requests per independent create and per shared flow, counted by a proxy in front
 * of Azurite (its own product, so the proxy slows no measurement above), and the flow's episodes.
 */
async function roundTrips() {
  const azurite = await startAzurite({});
  const counter = await startStorageCounter(azurite.tableEndpoint, azurite.connectionString);
  const product = await launchLocalProduct({
    appRoot: PACKAGE_DIR,
    storage: counter.connectionString,
    auth: 'entra',
    output: () => undefined,
  });
  try {
    const sum = (counts: Record<string, number>) =>
      Object.values(counts).reduce((a, b) => a + b, 0);
    const create = async () => {
      const { body, key } = uniqueCreate();
      const headers = { 'content-type': 'application/json', 'idempotency-key': key };
      const answer = await product.request('POST', '/api/referrals', { body, headers });
      if (answer.status !== 201) throw new Error(`a create answered ${answer.status}`);
    };
    for (let i = 0; i < 3; i++) await create();
    await sleep(500); // the warm-up's and the writes after the answers are done
    counter.reset();
    await create();
    const beforeAnswer = sum(counter.counts());
    await sleep(300);
    const perCreate = counter.counts();

    counter.reset();
    const flow = await oneSharedFlow(product);
    await sleep(300);
    const perFlow = counter.counts();
    return {
      create: { total: sum(perCreate), beforeAnswer, byRequest: perCreate },
      sharedFlow: {
        total: sum(perFlow),
        byRequest: perFlow,
        episodes: await episodesOf(product, flow.operationId),
      },
    };
  } finally {
    await product.stop();
    await counter.stop();
    await azurite.stop();
  }
}

/**
 * Where one create's time goes at one client (medians, from the product's own log lines): the
 * Partner Center call, the gateway's work around it (checks, the reservation, token), and the
 * rest (the host: HTTP, invocation, logging).
 */
function whereTimeGoes(lines: string[], clientMs: number) {
  const durations = (event: string) =>
    lines
      .filter((line) => line.includes(`"event":"${event}"`))
      .map(
        (line) => (JSON.parse(line.slice(line.indexOf('{'))) as { durationMs: number }).durationMs,
      );
  const handler = median(durations('request.completed'));
  const partnerCenter = median(durations('partnerCenter.attempt'));
  return {
    clientMs,
    partnerCenterCallMs: partnerCenter,
    gatewayWorkMs: handler - partnerCenter,
    hostMs: Math.max(0, clientMs - handler),
  };
}

interface Results {
  timeInGateway: ReturnType<typeof whereTimeGoes>;
  latency: Record<string, { direct: Latency; gateway: Latency }>;
  storage: Awaited<ReturnType<typeof storageRoundTrip>>;
  throughput: Awaited<ReturnType<typeof throughput>>;
  cpu: Awaited<ReturnType<typeof cpuPerCreate>>;
  memory: Awaited<ReturnType<typeof memory>>;
  tokens: Awaited<ReturnType<typeof tokenRequests>>;
  coldStart: Awaited<ReturnType<typeof coldStart>>;
  bundleLoad: { ms: number; byModuleMs: Record<string, number> };
  sharedFlow: Awaited<ReturnType<typeof sharedFlow>>;
  roundTrips: Awaited<ReturnType<typeof roundTrips>>;
}

/** `name value, name value`: a measure per process, module or phase. */
const listed = (values: Record<string, number>, unit = '') =>
  Object.entries(values)
    .map(([name, value]) => `${name} ${value}${unit}`)
    .join(', ');

function summary(r: Results): string {
  const header = ['Measure', 'Direct / baseline', 'Gateway', 'Ratio', 'Goal'];
  const rows: string[][] = [];
  for (const [key, { direct, gateway }] of Object.entries(r.latency)) {
    const clients = key.slice(1);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const goal = p === 'p50' ? '<= 1.05x' : p === 'p99' ? '<= 1.15x' : '';
      rows.push([
        `Latency ${p}, 50 ms upstream, ${clients} client(s)`,
        `${direct[p]} ms`,
        `${gateway[p]} ms`,
        `${ratio(gateway[p], direct[p])}x`,
        goal,
      ]);
    }
  }
  const c1 = r.latency.c1 as { direct: Latency; gateway: Latency };
  const overhead = c1.gateway.p50 - c1.direct.p50;
  rows.push([
    'Overhead at 1 client (p50), in storage round trips',
    `round trip ${r.storage.p50Ms} ms (${r.storage.backToBackP50Ms} back to back)`,
    `${overhead} ms`,
    `${round1(overhead / r.storage.p50Ms)} round trips`,
    `<= ${round1(r.storage.p50Ms + 1)} ms`,
  ]);
  const t = r.timeInGateway;
  rows.push([
    'One create at 1 client, where the time goes',
    `Partner Center call ${t.partnerCenterCallMs} ms`,
    `gateway work ${t.gatewayWorkMs} ms, host ${t.hostMs} ms`,
    '',
    '',
  ]);
  rows.push([
    'Throughput, 0 ms upstream, 32 clients',
    `${Math.round(r.throughput.direct)} req/s`,
    `${Math.round(r.throughput.gateway)} req/s`,
    `${Math.round((r.throughput.gateway / r.throughput.direct) * 100)}%`,
    '>= 50%',
  ]);
  const busy = r.throughput.busyPercentOfOneCore.gateway;
  rows.push(['Throughput run, busy share of one core per process', '', listed(busy, '%'), '', '']);
  rows.push(['CPU per create (µs), by process', '', listed(r.cpu.perCreateUs), '', '']);
  rows.push([
    "CPU per create, the app's own (host less hello world)",
    `hello world ${r.cpu.helloWorldHostUsPerRequest} µs/request`,
    `${r.cpu.appUsPerCreate} µs`,
    '',
    '',
  ]);
  rows.push([
    'CPU of one Table Storage call, in its caller',
    '',
    `${r.storage.callerCpuUs} µs`,
    '',
    '',
  ]);
  const first = r.memory.samples[0];
  const last = r.memory.samples[r.memory.samples.length - 1];
  rows.push([
    `Host heap after collection, ${first?.creates} → ${last?.creates} creates`,
    `${first?.heapUsedMb} MB`,
    `${r.memory.samples.map((s) => `${s.heapUsedMb}`).join(' → ')} MB`,
    `${ratio(last?.heapUsedMb ?? 0, first?.heapUsedMb ?? 1)}x`,
    'no growth',
  ]);
  rows.push([
    `Host resident memory, ${first?.creates} → ${last?.creates} creates`,
    `${first?.residentMb} MB`,
    `${r.memory.samples.map((s) => `${s.residentMb}`).join(' → ')} MB`,
    `${ratio(last?.residentMb ?? 0, first?.residentMb ?? 1)}x`,
    '',
  ]);
  rows.push([
    'Token requests per 1,000 creates',
    '',
    `${Math.round((r.tokens.tokenRequests / r.tokens.creates) * 1000 * 100) / 100}`,
    '',
    '1',
  ]);
  rows.push([
    'Cold start to first success (vs hello world)',
    `${r.coldStart.helloWorldMs} ms`,
    `${r.coldStart.gatewayMs} ms`,
    `${ratio(r.coldStart.gatewayMs, r.coldStart.helloWorldMs)}x`,
    '<= 1.5x',
  ]);
  rows.push([
    'Cold start: loading the bundle, largest costs',
    `${r.bundleLoad.ms} ms in all`,
    listed(Object.fromEntries(Object.entries(r.bundleLoad.byModuleMs).slice(0, 6))),
    '',
    '',
  ]);
  rows.push([
    'Shared flow, POST to completed (vs 2 direct creates)',
    `${r.sharedFlow.twoDirectCreatesMs} ms`,
    `${r.sharedFlow.sharedMs} ms`,
    `${ratio(r.sharedFlow.sharedMs, r.sharedFlow.twoDirectCreatesMs)}x`,
    '<= 1.5x',
  ]);
  rows.push([
    'Shared flow, where the time goes (ms, medians)',
    '',
    listed(r.sharedFlow.phasesMs as Record<string, number>),
    '',
    '',
  ]);
  rows.push([
    'Storage requests: per create (before its answer); per shared flow',
    '',
    `${r.roundTrips.create.total} (${r.roundTrips.create.beforeAnswer}); ${r.roundTrips.sharedFlow.total} in ${r.roundTrips.sharedFlow.episodes} episodes`,
    '',
    '',
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(`npm run bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
