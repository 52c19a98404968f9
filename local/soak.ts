/**
 * The fault soak: many referrals (Independent and Shared), every request sent three times (twice
 * at once, then once more later), against a Partner Center sandbox that fails a fifth of the calls
 * (429 with Retry-After, 503, connections dropped before or after the referral is made), while the
 * host is killed and restarted. Clients behave like Power Automate: they retry 408, 409 (in flight),
 * 429 and 5xx answers and lost connections, honour Retry-After, follow 202s, and resend a shared
 * referral whose operation failed. At the end the sandbox's referrals are reconciled with what was
 * sent.
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
  restarts: number;
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

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryDelay(answer: HttpAnswer | undefined, attempt: number): number {
  const retryAfter = Number(answer?.headers.get('retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter, 10) * 1000;
  return Math.min(250 * 2 ** attempt, 4000);
}

/** One logical send, retried as Power Automate would, until it has a final answer. */
async function send(product: LocalProduct, spec: Spec): Promise<HttpAnswer> {
  const headers = { 'content-type': 'application/json', 'idempotency-key': spec.key };
  for (let attempt = 0; ; attempt++) {
    const answer = await product
      .request('POST', '/api/referrals', { body: spec.body, headers })
      .catch(() => undefined);
    if (answer && answer.status === 202) {
      const done = await follow(product, answer.headers.get('location') as string);
      if (done.status === 201) return done;
      // The operation failed (a step kept failing): resending the same request finishes it.
    } else if (answer && !RETRYABLE.has(answer.status)) {
      return answer;
    }
    if (attempt > 200) throw new Error(`no final answer for ${spec.externalReferenceId}`);
    await sleep(retryDelay(answer, attempt));
  }
}

async function follow(product: LocalProduct, location: string): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await product.request('GET', location).catch(() => undefined);
    // Done, or the operation ended in failure (the caller resends): anything but still running,
    // throttled or a lost connection.
    if (answer && ![202, 409, 429].includes(answer.status)) return answer;
    if (attempt > 600) throw new Error(`operation at ${location} never ended`);
    await sleep(answer?.status === 202 ? 100 : retryDelay(answer, Math.min(attempt, 4)));
  }
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
  const record = (spec: Spec, answer: HttpAnswer) => {
    answered++;
    outcomes.get(spec)?.add(outcomeOf(spec, answer));
  };
  const sendAndRecord = async (spec: Spec) => {
    sent++;
    record(spec, await send(product, spec));
  };

  for (const fault of SOAK_FAULTS) sandbox.injectFault(fault);
  let done = 0;
  let restarts = 0;
  const restartAt = Array.from({ length: options.restarts }, (_, i) =>
    Math.floor(((i + 1) * all.length) / (options.restarts + 1)),
  );
  const chaos = (async () => {
    for (const at of restartAt) {
      while (done < at) await sleep(50);
      say(`killing the host (SIGKILL) after ${done} referrals, and starting it again`);
      await product.killAndRestart();
      restarts++;
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
    restarts,
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
    ['Host kills and restarts', result.restarts],
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
