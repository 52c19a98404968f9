/**
 * The fault soak: many referrals (Independent and Shared), every request sent three times (twice
 * at once, then once more later), against a Partner Center sandbox that fails a fifth of the calls
 * (429 with Retry-After, 503, connections dropped before or after the referral is made), while the
 * host is killed and restarted. Clients act exactly as Power Automate does with its defaults (see
 * `send`). At the end the sandbox's referrals are reconciled with what was sent, and every flow
 * run must have succeeded.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxReferral } from './partner-center-sandbox';
import type { FaultRule } from './partner-center-sandbox';
import { requireStandIns, type HttpAnswer, type LocalProduct } from './launcher';
import { asIndependent, seedExample } from './examples';
import type { QueueModel } from './host/durable/queues';

export interface SoakOptions {
  referrals: number;
  restarts: number;
  /** Table Storage stopped for OUTAGE_MS this many times (needs the launcher's Azurite on disk). */
  storageOutages?: number;
  /** The identity provider's token endpoint failing for OUTAGE_MS this many times. */
  tokenOutages?: number;
  /** Share of Shared referrals (default 0.3). */
  sharedShare?: number;
  /** Concurrent referrals in flight (default 16). */
  concurrency?: number;
  progress?: (line: string) => void;
}

export interface SoakResult {
  referrals: number;
  requestsSent: number;
  requestsAnswered: number;
  referralsExpected: number;
  referralsFound: number;
  duplicates: number;
  missing: number;
  /** Answers to one referral's sends that named different referrals or engagements. */
  inconsistentAnswers: number;
  /** Flow runs whose create action ended without a 2xx answer (Power Automate's view). */
  failedFlowRuns: number;
  /** What those runs ended with: `<status> <error code>`, or `no answer`, and how often. */
  failedRunAnswers: Record<string, number>;
  restarts: number;
  storageOutages: number;
  tokenOutages: number;
  faultsInjected: Record<string, number>;
  wallSeconds: number;
}

interface Spec {
  type: 'Independent' | 'Shared';
  key: string;
  body: string;
  externalReferenceId: string;
}

/** About a fifth of Partner Center calls fail, in every way a real outage does. */
export const SOAK_FAULTS: FaultRule[] = [
  { fault: { kind: 'status', status: 429, retryAfterSeconds: 1 }, times: 1e9, probability: 0.06 },
  { fault: { kind: 'status', status: 503 }, times: 1e9, probability: 0.06 },
  { fault: { kind: 'drop' }, times: 1e9, probability: 0.06 },
  { fault: { kind: 'drop' }, times: 1e9, probability: 0.06, when: 'after' },
];

/**
 * A shorter Partner Center deadline, idempotency lease and list-delay bound than the defaults, so
 * a request cut off by a host kill is taken over in seconds rather than a minute and a half (the
 * behaviour is the same, only the waits shrink).
 */
export const SOAK_SETTINGS = {
  PARTNER_CENTER_DEADLINE_MS: '10000',
  PARTNER_CENTER_ATTEMPT_TIMEOUT_MS: '4000',
  IDEMPOTENCY_LEASE_MS: '15000',
  IDEMPOTENCY_WAIT_MS: '5000',
  // The sandbox lists a new referral at once; the assumed bound need not be longer.
  PARTNER_CENTER_LIST_DELAY_MS: '2000',
};

/**
 * The soak runs the Durable engine as production delivers its messages, on a clock a hundred
 * times faster: queue polls of up to 300 ms, a 3 s visibility timeout and 300 ms lease after each
 * kill, and one activity message in ten delivered twice at once.
 */
export const SOAK_QUEUES: QueueModel = { scale: 0.01, duplicateActivities: 0.1 };

/**
 * Clients that act exactly as a Power Automate (Logic Apps) action with its defaults, on the
 * soak's clock:
 * - the Default retry policy ("Handle errors and exceptions in Azure Logic Apps", Retry policy
 *   types): up to 4 retries of a request that failed with 408, 429 or 5xx, or timed out or could
 *   not connect, at exponentially increasing intervals scaled by 7.5 s, capped between 5 and 45 s;
 *   a `Retry-After` is waited out instead; nothing else (a 409 included) is retried;
 * - the asynchronous pattern (a `202` with `Location`): the action polls `Location`, waiting out
 *   `Retry-After`, until the answer is not `202`; each poll has the same retry policy.
 * The action's last answer is the flow run's: anything but 2xx fails the run.
 */
/** Ten times faster: the retries still span longer than a host restart, as in production. */
const PA_CLOCK = 0.1;
const PA_RETRIES = 4;
/** How long each storage or token outage lasts. */
const OUTAGE_MS = 1500;
const PA_RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function paRetryDelayMs(answer: HttpAnswer | undefined, retry: number): number {
  const retryAfter = Number(answer?.headers.get('retry-after'));
  const seconds =
    Number.isFinite(retryAfter) && retryAfter > 0
      ? retryAfter
      : Math.min(45, Math.max(5, 7.5 * 2 ** (retry - 1)));
  return seconds * 1000 * PA_CLOCK;
}

/** One request with the Default retry policy; undefined when the last try had no answer. */
async function withRetries(attempt: () => Promise<HttpAnswer>): Promise<HttpAnswer | undefined> {
  for (let retry = 0; ; retry++) {
    const answer = await attempt().catch(() => undefined);
    if (answer && !PA_RETRYABLE(answer.status)) return answer;
    if (retry >= PA_RETRIES) return answer;
    await sleep(paRetryDelayMs(answer, retry + 1));
  }
}

/** One flow run's create action: its final answer (undefined when it never got one). */
async function send(product: LocalProduct, spec: Spec): Promise<HttpAnswer | undefined> {
  const headers = { 'content-type': 'application/json', 'idempotency-key': spec.key };
  let answer = await withRetries(() =>
    product.request('POST', '/api/referrals', { body: spec.body, headers }),
  );
  for (let polls = 0; answer?.status === 202; polls++) {
    if (polls > 2000) throw new Error(`${spec.externalReferenceId} kept answering 202`);
    const location = answer.headers.get('location') as string;
    await sleep(Math.max(100, paRetryDelayMs(answer, 1)));
    answer = await withRetries(() => product.request('GET', location));
  }
  return answer;
}

function specs(count: number, sharedShare: number): Spec[] {
  return Array.from({ length: count }, (_, i) => {
    const type = i % Math.round(1 / sharedShare) === 0 ? 'Shared' : 'Independent';
    const externalReferenceId = `soak-${randomUUID()}`;
    const request = type === 'Shared' ? seedExample() : asIndependent(seedExample());
    return {
      type,
      key: randomUUID(),
      externalReferenceId,
      body: JSON.stringify({ ...request, externalReferenceId }),
    };
  });
}

/** What identifies the outcome a client got: the referral, or the engagement of a pair. */
function outcomeOf(spec: Spec, answer: HttpAnswer): string | undefined {
  if (answer.status !== 201) return undefined;
  const body = answer.body as { id?: string; engagementId?: string };
  return spec.type === 'Shared' ? body.engagementId : body.id;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

export async function runSoak(product: LocalProduct, options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const { sandbox } = requireStandIns(product);
  const say = options.progress ?? (() => undefined);
  const all = specs(options.referrals, options.sharedShare ?? 0.3);
  const outcomes = new Map<Spec, Set<string | undefined>>(all.map((s) => [s, new Set()]));
  let sent = 0;
  let answered = 0;
  let failedRuns = 0;
  const failedRunAnswers: Record<string, number> = {};
  const record = (spec: Spec, answer: HttpAnswer | undefined) => {
    if (answer) answered++;
    if (!answer || answer.status < 200 || answer.status > 299) {
      failedRuns++;
      // Enough to tell why, and nothing of the referral itself.
      const code = (answer?.body as { error?: { code?: string } } | undefined)?.error?.code;
      const ending = answer ? `${answer.status} ${code ?? '(no error code)'}` : 'no answer';
      failedRunAnswers[ending] = (failedRunAnswers[ending] ?? 0) + 1;
    }
    outcomes.get(spec)?.add(answer ? outcomeOf(spec, answer) : undefined);
  };
  const sendAndRecord = async (spec: Spec) => {
    sent++;
    record(spec, await send(product, spec));
  };

  for (const fault of SOAK_FAULTS) sandbox.injectFault(fault);
  let done = 0;
  const happened = { kill: 0, storage: 0, token: 0 };
  const local = requireStandIns(product);
  if (options.tokenOutages) {
    // Access tokens reused for about two seconds (renewed five minutes before they expire), so
    // an outage of the token endpoint meets the gateway's refreshes.
    local.identity.accessTokenLifetimeSeconds = 302;
  }
  const at = (count: number, offset: number) =>
    Array.from({ length: count }, (_, i) => Math.floor(((i + offset) * all.length) / (count + 1)));
  const events = [
    ...at(options.restarts, 1).map((when) => ({ when, kind: 'kill' as const })),
    ...at(options.storageOutages ?? 0, 0.5).map((when) => ({ when, kind: 'storage' as const })),
    ...at(options.tokenOutages ?? 0, 0.75).map((when) => ({ when, kind: 'token' as const })),
  ].sort((a, b) => a.when - b.when);
  const chaos = (async () => {
    for (const event of events) {
      while (done < event.when) await sleep(50);
      if (event.kind === 'kill') {
        say(`killing the host (SIGKILL) after ${done} referrals, and starting it again`);
        await product.killAndRestart();
      } else if (event.kind === 'storage') {
        say(`Table Storage out of reach for ${OUTAGE_MS} ms after ${done} referrals`);
        await product.interruptStorage(OUTAGE_MS);
      } else {
        say(`the identity provider failing token requests for ${OUTAGE_MS} ms after ${done}`);
        local.identity.failTokenRequests(OUTAGE_MS);
      }
      happened[event.kind]++;
    }
  })();

  say(`${all.length} referrals, each sent twice at once`);
  await pool(all, options.concurrency ?? 16, async (spec) => {
    await Promise.all([sendAndRecord(spec), sendAndRecord(spec)]);
    done++;
    if (done % 100 === 0) say(`${done}/${all.length} referrals answered`);
  });
  await chaos;
  say('each sent once more, later');
  await pool([...all].reverse(), options.concurrency ?? 16, sendAndRecord);
  sandbox.clearFaults();

  // Reconcile what Partner Center holds with what was sent.
  const held = await product.sandboxReferrals();
  // Your referral carries the externalReferenceId; Microsoft's is found on its engagement.
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const byReference = new Map<string, SandboxReferral[]>();
  const byEngagement = new Map<string, SandboxReferral[]>();
  for (const referral of held) {
    const key = text(referral.externalReferenceId);
    byReference.set(key, [...(byReference.get(key) ?? []), referral]);
    byEngagement.set(referral.engagementId, [
      ...(byEngagement.get(referral.engagementId) ?? []),
      referral,
    ]);
  }
  const referralsOf = (spec: Spec): SandboxReferral[] => {
    const own = byReference.get(spec.externalReferenceId) ?? [];
    if (spec.type !== 'Shared') return own;
    const engagements = new Set(own.map((r) => r.engagementId));
    return [...engagements].flatMap((id) => byEngagement.get(id) ?? []);
  };
  let expected = 0;
  let found = 0;
  let duplicates = 0;
  let missing = 0;
  let inconsistent = 0;
  for (const spec of all) {
    const want = spec.type === 'Shared' ? 2 : 1;
    const got = referralsOf(spec);
    expected += want;
    found += got.length;
    duplicates += Math.max(0, got.length - want);
    missing += Math.max(0, want - got.length);
    if (spec.type === 'Shared' && new Set(got.map((r) => r.engagementId)).size > 1) duplicates++;
    const seen = outcomes.get(spec) ?? new Set();
    if (seen.size !== 1 || seen.has(undefined)) inconsistent++;
  }
  const soakIds = new Set(all.map((s) => s.externalReferenceId));
  const strays = held.filter((r) => {
    const reference = text(r.externalReferenceId);
    return reference.startsWith('soak-') && !soakIds.has(reference);
  }).length;
  return {
    referrals: all.length,
    requestsSent: sent,
    requestsAnswered: answered,
    referralsExpected: expected,
    referralsFound: found,
    duplicates: duplicates + strays,
    missing,
    inconsistentAnswers: inconsistent,
    failedFlowRuns: failedRuns,
    failedRunAnswers,
    restarts: happened.kill,
    storageOutages: happened.storage,
    tokenOutages: happened.token,
    faultsInjected: { ...sandbox.faultsApplied },
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export function soakTable(result: SoakResult): string {
  const rows: [string, string | number][] = [
    ['Referrals (Independent and Shared)', result.referrals],
    ['Requests sent', result.requestsSent],
    ['Requests answered', result.requestsAnswered],
    ['Referrals expected', result.referralsExpected],
    ['Referrals found', result.referralsFound],
    ['Duplicates', result.duplicates],
    ['Missing', result.missing],
    ['Inconsistent answers', result.inconsistentAnswers],
    ['Failed flow runs (Power Automate defaults)', result.failedFlowRuns],
    ...(result.failedFlowRuns > 0
      ? [
          [
            'What the failed runs ended with',
            Object.entries(result.failedRunAnswers)
              .map(([ending, count]) => `${ending}: ${count}`)
              .join(', '),
          ] as [string, string],
        ]
      : []),
    ['Host kills and restarts', result.restarts],
    ['Table Storage outages', result.storageOutages],
    ['Token endpoint outages', result.tokenOutages],
    [
      'Faults injected',
      Object.entries(result.faultsInjected)
        .map(([kind, count]) => `${kind}: ${count}`)
        .join(', '),
    ],
    ['Wall time', `${result.wallSeconds} s`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const line = (name: string, value: string | number) => `| ${name.padEnd(width)} | ${value} |`;
  return [
    line('Measure', 'Result'),
    `| ${'-'.repeat(width)} | --- |`,
    ...rows.map(([n, v]) => line(n, v)),
  ].join('\n');
}
