/**
 * `npm run bench`: what the gateway costs, measured side by side in one run on this machine
 * against the local host and the Partner Center sandbox, and quoted as ratios (gateway / direct).
 * Prints progress, then a summary table; writes the figures to .local/bench/result.json.
 *
 *   npm run bench [-- --quick]     (--quick: fewer requests, for a smoke run)
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../local/azurite';
import { asIndependent, seedExample } from '../local/examples';
import { startHostProcess, type HostProcess } from '../local/host/launch';
import { launchLocalProduct, requireStandIns, type LocalProduct } from '../local/launcher';
import { PARTNER_CENTER_AUDIENCE } from '../local/stand-ins';

const ROOT = resolve(__dirname, '..');
const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const scale = args.quick ? 0.1 : 1;

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
}

const progress = (line: string) => console.log(`[bench] ${line}`);
const ratio = (gateway: number, direct: number) => Math.round((gateway / direct) * 100) / 100;

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

async function load(options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  amount?: number;
  duration?: number;
}): Promise<autocannon.Result> {
  const result = await autocannon({
    url: options.url,
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
              ...options.headers,
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
    throw new Error(`${failed} of ${result.requests.total} creates to ${options.url} failed`);
  return result;
}

function latencyOf(result: autocannon.Result): Latency {
  return {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.non2xx,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  progress('starting Azurite, the identity provider, the sandbox and the local host');
  // The host's log lines, kept only while a phase wants them (to see where the time goes).
  let hostLines: string[] | undefined;
  const product = await launchLocalProduct({
    appRoot: ROOT,
    inMemory: true,
    auth: 'entra',
    output: (line) => hostLines?.push(line),
  });
  const local = requireStandIns(product);
  const azurite = product.azurite as NonNullable<LocalProduct['azurite']>;
  const sandbox = local.sandbox;
  const gatewayUrl = `${product.url}/api/referrals`;
  const gatewayHeaders = { authorization: `Bearer ${product.callerToken}` };
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
  const directUrl = `${sandbox.apiUrl}/engagements/referrals`;
  const directHeaders = { authorization: `Bearer ${directToken}` };
  const results: Record<string, unknown> = {};

  try {
    progress('warming up');
    sandbox.latencyMs = 0;
    await load({ url: directUrl, headers: directHeaders, connections: 4, amount: 100 });
    await load({ url: gatewayUrl, headers: gatewayHeaders, connections: 4, amount: 100 });

    const latency: Record<string, { direct: Latency; gateway: Latency }> = {};
    sandbox.latencyMs = 50;
    for (const connections of [1, 32]) {
      const amount = Math.max(20, Math.round((connections === 1 ? 300 : 3000) * scale));
      progress(`latency at 50 ms upstream, ${connections} client(s), ${amount} creates each way`);
      const direct = latencyOf(
        await load({ url: directUrl, headers: directHeaders, connections, amount }),
      );
      if (connections === 1) hostLines = [];
      const gateway = latencyOf(
        await load({ url: gatewayUrl, headers: gatewayHeaders, connections, amount }),
      );
      latency[`c${connections}`] = { direct, gateway };
      if (hostLines) results.timeInGateway = whereTimeGoes(hostLines, gateway.p50);
      hostLines = undefined;
    }
    results.latency = latency;

    sandbox.latencyMs = 0;
    const duration = Math.max(2, Math.round(10 * scale));
    progress(`throughput at 0 ms upstream, 32 clients, ${duration} s each way`);
    const directRun = await load({
      url: directUrl,
      headers: directHeaders,
      connections: 32,
      duration,
    });
    const gatewayRun = await load({
      url: gatewayUrl,
      headers: gatewayHeaders,
      connections: 32,
      duration,
    });
    results.throughput = {
      direct: directRun.requests.average,
      gateway: gatewayRun.requests.average,
      errors: {
        direct: directRun.errors + directRun.non2xx,
        gateway: gatewayRun.errors + gatewayRun.non2xx,
      },
    };

    progress('token requests: a host with an empty token cache, then 1,000 creates');
    // Counted from before the start: the app-start warm-up already asks for the first token.
    const tokensBefore = Object.values(local.identity.tokenRequests).reduce((a, b) => a + b, 0);
    await product.restart({ TOKEN_CACHE_TABLE: `benchtokens${Date.now()}` });
    const tokenRun = await load({
      url: gatewayUrl,
      headers: gatewayHeaders,
      connections: 8,
      amount: 1000,
    });
    const tokensAfter = Object.values(local.identity.tokenRequests).reduce((a, b) => a + b, 0);
    results.tokens = {
      creates: tokenRun.requests.total - tokenRun.non2xx,
      tokenRequests: tokensAfter - tokensBefore,
    };

    const runs = args.quick ? 2 : 5;
    progress(
      `cold start: process start to first success, ${runs} runs each (gateway, hello world)`,
    );
    results.coldStart = await coldStart(product, azurite.connectionString, runs);

    sandbox.latencyMs = 50;
    const flows = Math.max(5, Math.round(30 * scale));
    progress(`shared flow: ${flows} shared referrals, POST to completed, vs two direct creates`);
    results.sharedFlow = await sharedFlow(product, directUrl, directHeaders, flows);
  } finally {
    await product.stop();
  }
  results.machine = { cpus: (await import('node:os')).cpus().length, node: process.version };
  results.wallSeconds = Math.round((Date.now() - started) / 1000);
  const folder = join(ROOT, '.local', 'bench');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'result.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${summary(results)}\n\nFigures written to .local/bench/result.json`);
}

/** Milliseconds from starting a process to its first successful answer. */
async function timeToFirst(start: () => Promise<unknown>, ok: () => Promise<boolean>) {
  const began = performance.now();
  await start();
  while (!(await ok().catch(() => false))) await new Promise((r) => setTimeout(r, 10));
  return performance.now() - began;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function coldStart(product: LocalProduct, storage: string, runs: number) {
  const gateway: number[] = [];
  const hello: number[] = [];
  const helloApp = join(ROOT, 'local', 'bench', 'hello-app');
  for (let i = 0; i < runs; i++) {
    await product.stopHost();
    const port = await freePort();
    let helloHost: HostProcess | undefined;
    hello.push(
      await timeToFirst(
        async () => {
          helloHost = await startHostProcess({
            appRoot: helloApp,
            port,
            env: { AzureWebJobsStorage: storage },
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

async function sharedFlow(
  product: LocalProduct,
  directUrl: string,
  directHeaders: Record<string, string>,
  flows: number,
) {
  const shared: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < flows; i++) {
    const request = { ...seedExample(), externalReferenceId: `bench-${randomUUID()}` };
    const began = performance.now();
    const accepted = await product.request('POST', '/api/referrals', {
      body: JSON.stringify(request),
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    });
    const location = accepted.headers.get('location') as string;
    for (;;) {
      const status = await product.request('GET', location);
      if (status.status === 201) break;
      if (status.status !== 202) throw new Error(`shared flow ended ${status.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    shared.push(performance.now() - began);

    const twoCreates = performance.now();
    for (let step = 0; step < 2; step++) {
      const response = await requireStandIns(product).fetch(directUrl, {
        method: 'POST',
        headers: {
          ...directHeaders,
          'content-type': 'application/json',
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
        body: JSON.stringify({
          ...asIndependent(seedExample()),
          externalReferenceId: `bench-${randomUUID()}`,
        }),
      });
      await response.text();
      if (response.status !== 201) throw new Error(`a direct create answered ${response.status}`);
    }
    direct.push(performance.now() - twoCreates);
  }
  return {
    sharedMs: Math.round(median(shared)),
    twoDirectCreatesMs: Math.round(median(direct)),
    flows,
  };
}

/**
 * Where one create's time goes at one client (medians, from the product's own log lines): the
 * Partner Center call, the gateway's work around it (checks, idempotency records, token), and the
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

function summary(results: Record<string, unknown>): string {
  const r = results as {
    timeInGateway: ReturnType<typeof whereTimeGoes>;
    latency: Record<string, { direct: Latency; gateway: Latency }>;
    throughput: { direct: number; gateway: number };
    tokens: { creates: number; tokenRequests: number };
    coldStart: { gatewayMs: number; helloWorldMs: number };
    sharedFlow: { sharedMs: number; twoDirectCreatesMs: number };
  };
  const header = ['Measure', 'Direct / baseline', 'Gateway', 'Ratio', 'Target'];
  const rows: string[][] = [header];
  for (const [key, { direct, gateway }] of Object.entries(r.latency)) {
    const clients = key.slice(1);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      const target = p === 'p50' ? '<= 1.05x' : p === 'p99' ? '<= 1.15x' : '';
      rows.push([
        `Latency ${p}, 50 ms upstream, ${clients} client(s)`,
        `${direct[p]} ms`,
        `${gateway[p]} ms`,
        `${ratio(gateway[p], direct[p])}x`,
        target,
      ]);
    }
  }
  rows.push([
    'Throughput, 0 ms upstream, 32 clients',
    `${Math.round(r.throughput.direct)} req/s`,
    `${Math.round(r.throughput.gateway)} req/s`,
    `${Math.round((r.throughput.gateway / r.throughput.direct) * 100)}%`,
    '>= 50%',
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
  const t = r.timeInGateway;
  rows.push([
    'One create at 1 client, where the time goes',
    `Partner Center call ${t.partnerCenterCallMs} ms`,
    `gateway work ${t.gatewayWorkMs} ms, host ${t.hostMs} ms`,
    '',
    '',
  ]);
  rows.push([
    'Shared flow, POST to completed (vs 2 direct creates)',
    `${r.sharedFlow.twoDirectCreatesMs} ms`,
    `${r.sharedFlow.sharedMs} ms`,
    `${ratio(r.sharedFlow.sharedMs, r.sharedFlow.twoDirectCreatesMs)}x`,
    '',
  ]);
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(`npm run bench failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
