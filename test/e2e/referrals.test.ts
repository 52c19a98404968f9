/**
 * End to end over real HTTP: the compiled app in the local Functions host (its own process),
 * the Durable orchestration run by the host, Partner Center played by the sandbox.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { z } from 'zod';
import {
  EngagementSchema,
  ErrorEnvelopeSchema,
  OperationRunningSchema,
  SharedReferralOutcomeSchema,
} from '../../shared/api/answer-schemas';
import { ReferralSchema, type Referral } from '../../shared/contract/schema';
import type { SandboxReferral } from '../../local/partner-center-sandbox';
import { independentSeedRequest, microsoftSample, seedRequest } from '../support/seed';
import { startProduct, type HttpAnswer, type ProductFixture } from '../support/local-host';

jest.setTimeout(90000);

let product: ProductFixture;

beforeAll(async () => {
  // Short waits between a shared step's attempts, so a step failing for good ends soon.
  // A short Partner Center deadline and lease, so a step claimed by a killed host is free soon.
  product = await startProduct({
    SHARED_STEP_MAX_ATTEMPTS: '2',
    SHARED_STEP_RETRY_MS: '200',
    PARTNER_CENTER_DEADLINE_MS: '4000',
    IDEMPOTENCY_LEASE_MS: '5000',
  });
});

afterAll(async () => {
  await product?.stop();
});

const json = { 'content-type': 'application/json' };

function post(body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return product.request('POST', '/api/referrals', {
    body: JSON.stringify(body),
    headers: { ...json, ...headers },
  });
}

/** A request of the seed's kind that no other test sends. */
function uniqueRequest(kind: 'Shared' | 'Independent'): Record<string, unknown> {
  const request = kind === 'Shared' ? seedRequest() : independentSeedRequest();
  return { ...request, externalReferenceId: `e2e-${randomUUID()}` };
}

/** The answer has exactly the documented shape (the connector's description is built from it). */
function expectShape(schema: z.ZodType, body: unknown): void {
  expect(schema.parse(body)).toEqual(body);
}

async function followOperation(location: string): Promise<HttpAnswer> {
  for (let i = 0; i < 200; i++) {
    const answer = await product.request('GET', location);
    if (answer.status !== 202) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the operation at ${location} did not finish`);
}

async function referralsIn(engagementId: string): Promise<SandboxReferral[]> {
  return (await product.sandboxReferrals()).filter((r) => r.engagementId === engagementId);
}

async function referralsWith(externalReferenceId: unknown): Promise<SandboxReferral[]> {
  return (await product.sandboxReferrals()).filter(
    (r) => r.externalReferenceId === externalReferenceId,
  );
}

interface SharedOutcome {
  operationId: string;
  engagementId: string;
  partnerReferral: Referral;
  microsoftReferral: Referral;
}

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the seed example, type Shared', () => {
  it('answers 202 with a Location whose polling ends in 201 with one engagement of two referrals', async () => {
    const accepted = await post(uniqueRequest('Shared'), { 'idempotency-key': randomUUID() });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') as string;
    // Absolute, on the host the request came to: Power Automate follows it as it is.
    expect(location).toMatch(new RegExp(`^${product.url}/api/referrals/operations/[0-9a-f-]{36}$`));
    expectShape(OperationRunningSchema, accepted.body);

    const done = await followOperation(location);
    expect(done.status).toBe(201);
    expectShape(SharedReferralOutcomeSchema, done.body);
    const outcome = done.body as SharedOutcome;
    expect(outcome.partnerReferral.engagementId).toBe(outcome.engagementId);
    expect(outcome.microsoftReferral.engagementId).toBe(outcome.engagementId);
    expect(outcome.microsoftReferral.target).toEqual([
      { type: 'BusinessProfileLocation', id: 'msft' },
    ]);
    expect((await referralsIn(outcome.engagementId)).map((r) => r.id).sort()).toEqual(
      [outcome.partnerReferral.id, outcome.microsoftReferral.id].sort(),
    );

    const engagement = await product.request('GET', `/api/engagements/${outcome.engagementId}`);
    expect(engagement.status).toBe(200);
    expectShape(EngagementSchema, engagement.body);
    const mapping = engagement.body as { referrals: { referralId: string }[] };
    // The creator reads its engagement; who created it is shown to Referrals.Read.All only.
    expect(mapping).not.toHaveProperty('caller');
    expect(mapping).not.toHaveProperty('callerAppId');
    const ids = mapping.referrals.map((r) => r.referralId);
    expect(ids.sort()).toEqual([outcome.partnerReferral.id, outcome.microsoftReferral.id].sort());
  });
});

describe('the seed example, type Independent', () => {
  it('answers 201 with the referral, and the sandbox holds exactly it', async () => {
    const request = uniqueRequest('Independent');
    const created = await post(request, { 'idempotency-key': randomUUID() });
    expect(created.status).toBe(201);
    expectShape(ReferralSchema, created.body);
    const referral = created.body as Referral;
    expect(created.headers.get('location')).toBe(`${product.url}/api/referrals/${referral.id}`);
    expect((await referralsWith(request.externalReferenceId)).map((r) => r.id)).toEqual([
      referral.id,
    ]);
    const read = await product.request('GET', `/api/referrals/${referral.id}`);
    expect(read.status).toBe(200);
    expect((read.body as Referral).id).toBe(referral.id);
  });
});

describe('the same submission more than once', () => {
  it('creates one referral for concurrent and repeated creates with one key', async () => {
    const request = uniqueRequest('Independent');
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => post(request, { 'idempotency-key': key })),
    );
    const later = await post(request, { 'idempotency-key': key });
    const all = [...answers, later];
    expect(all.map((a) => a.status)).toEqual(all.map(() => 201));
    const ids = new Set(all.map((a) => (a.body as Referral).id));
    expect(ids.size).toBe(1);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await referralsWith(request.externalReferenceId)).toHaveLength(1);
  });

  it('creates one pair for concurrent and repeated shared creates with one key', async () => {
    const request = uniqueRequest('Shared');
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => post(request, { 'idempotency-key': key })),
    );
    // Each answer is 202 (still running: follow it) or, for a late one, 201 (already done).
    const outcomes = await Promise.all(
      answers.map(async (answer) => {
        expect([201, 202]).toContain(answer.status);
        const done =
          answer.status === 202
            ? await followOperation(answer.headers.get('location') as string)
            : answer;
        expect(done.status).toBe(201);
        return done.body as SharedOutcome;
      }),
    );
    const repeated = await post(request, { 'idempotency-key': key });
    expect(repeated.status).toBe(201);
    outcomes.push(repeated.body as SharedOutcome);
    expect(new Set(outcomes.map((o) => o.operationId)).size).toBe(1);
    const engagementId = outcomes[0]?.engagementId as string;
    expect(new Set(outcomes.map((o) => o.engagementId))).toEqual(new Set([engagementId]));
    expect(await referralsIn(engagementId)).toHaveLength(2);
  });
});

describe('invalid requests', () => {
  it('answer a clear 4xx and nothing reaches the sandbox', async () => {
    const before = (await product.sandboxReferrals()).length;
    const { customerProfile: _missing, ...noCustomer } = uniqueRequest('Independent');
    const missing = await post(noCustomer);
    expect(missing.status).toBe(400);
    expectShape(ErrorEnvelopeSchema, missing.body);
    const error = (missing.body as { error: { code: string; details: { path: string }[] } }).error;
    expect(error.details.map((d) => d.path)).toContain('$.customerProfile');

    const wrongType = await product.request('POST', '/api/referrals', {
      body: JSON.stringify(uniqueRequest('Independent')),
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);

    const badJson = await product.request('POST', '/api/referrals', {
      body: '{"name": ',
      headers: json,
    });
    expect(badJson.status).toBe(400);
    expect((badJson.body as { error: { code: string } }).error.code).toBe('invalidJson');

    expect((await product.sandboxReferrals()).length).toBe(before);
  });
});

describe('step 2 rejected by Partner Center', () => {
  afterEach(() => product.local.sandbox.clearFaults());

  it('fails the operation; the same request again completes the pair with exactly two referrals', async () => {
    const request = uniqueRequest('Shared');
    const key = randomUUID();
    // The second create (step 2) is refused as a business error: no retry helps.
    await product.local.fetch(`${product.local.sandbox.baseUrl}/_sandbox/faults`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        fault: { kind: 'status', status: 400, code: 'invalidInput' },
        method: 'POST',
        skip: 1,
        times: 1,
      }),
    });
    const accepted = await post(request, { 'idempotency-key': key });
    const failed = await followOperation(accepted.headers.get('location') as string);
    expect(failed.status).toBe(400);
    const partner = await referralsWith(request.externalReferenceId);
    expect(partner).toHaveLength(1);

    const again = await post(request, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    const done = await followOperation(again.headers.get('location') as string);
    expect(done.status).toBe(201);
    const outcome = done.body as SharedOutcome;
    expect(outcome.partnerReferral.id).toBe(partner[0]?.id);
    expect(await referralsIn(outcome.engagementId)).toHaveLength(2);
  });
  it("answers a refusal listing many problems whole, though the operation's status holds 16 KB", async () => {
    // 50 problems of about 1 KB each: more than the Durable extension lets a custom status hold.
    const details = Array.from({ length: 50 }, (_, i) => ({
      code: 'invalidValue',
      target: `details.notes${i}`,
      message: `Problem ${i}: ${'this value is not accepted; '.repeat(34)}`,
    }));
    await product.local.fetch(`${product.local.sandbox.baseUrl}/_sandbox/faults`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        fault: { kind: 'status', status: 400, code: 'invalidInput', message: 'Rejected', details },
        method: 'POST',
        skip: 1,
        times: 1,
      }),
    });
    const accepted = await post(uniqueRequest('Shared'), { 'idempotency-key': randomUUID() });
    const failed = await followOperation(accepted.headers.get('location') as string);
    expect(failed.status).toBe(400);
    expectShape(ErrorEnvelopeSchema, failed.body);
    const { upstream } = (
      failed.body as { error: { upstream: { code: string; details: unknown } } }
    ).error;
    expect(upstream.code).toBe('invalidInput');
    expect(upstream.details).toEqual(
      details.map(({ code, target, message }) => ({ path: target, code, message })),
    );
  });
});

describe('step 2 failing for good', () => {
  afterEach(() => product.local.sandbox.clearFaults());

  it('fails the operation with the upstream cause; sent again, the pair completes with exactly two', async () => {
    const request = uniqueRequest('Shared');
    const key = randomUUID();
    // Step 1 gets through; then Partner Center answers 503 to every create, past all retries.
    product.local.sandbox.injectFault({
      fault: { kind: 'status', status: 503 },
      method: 'POST',
      skip: 1,
      times: 1000,
    });
    const accepted = await post(request, { 'idempotency-key': key });
    const failed = await followOperation(accepted.headers.get('location') as string);
    expect(failed.status).toBe(502);
    expect((failed.body as { error: { code: string } }).error.code).toBe('upstreamUnavailable');
    expectShape(ErrorEnvelopeSchema, failed.body);
    const partner = await referralsWith(request.externalReferenceId);
    expect(partner).toHaveLength(1);
    const engagement = await product.request(
      'GET',
      `/api/engagements/${partner[0]?.engagementId ?? ''}`,
    );
    expect(engagement.body).toMatchObject({
      state: 'partnerReferralCreated',
      referrals: [{ role: 'partner' }],
    });

    product.local.sandbox.clearFaults();
    const again = await post(request, { 'idempotency-key': key });
    const done = await followOperation(again.headers.get('location') as string);
    expect(done.status).toBe(201);
    const outcome = done.body as SharedOutcome;
    expect(outcome.partnerReferral.id).toBe(partner[0]?.id);
    expect(await referralsIn(outcome.engagementId)).toHaveLength(2);
  });
});

describe('the host killed between the two steps', () => {
  afterEach(() => product.local.sandbox.clearFaults());

  it('finishes the flow after a restart without a duplicate', async () => {
    const request = uniqueRequest('Shared');
    // Step 2 reaches Partner Center, which creates the referral, but its answer is held back:
    // the host dies not knowing the outcome.
    product.local.sandbox.injectFault({
      fault: { kind: 'delay', ms: 5000 },
      method: 'POST',
      skip: 1,
      times: 1,
      when: 'after',
    });
    const accepted = await post(request, { 'idempotency-key': randomUUID() });
    expect(accepted.status).toBe(202);
    let engagementId = '';
    await waitUntil(async () => {
      engagementId = (await referralsWith(request.externalReferenceId))[0]?.engagementId ?? '';
      return engagementId !== '' && (await referralsIn(engagementId)).length === 2;
    }, 'step 2 to reach the sandbox');

    await product.killAndRestart();

    const done = await followOperation(accepted.headers.get('location') as string);
    expect(done.status).toBe(201);
    expect((done.body as SharedOutcome).engagementId).toBe(engagementId);
    expect(await referralsIn(engagementId)).toHaveLength(2);
    expect(product.output.some((line) => line.includes('1 instance(s) resumed'))).toBe(true);
    // The app-start hook ran in each host process: the warm-up finished before it was needed.
    const warmUps = product.output.filter((line) => line.includes('"event":"warmUp.done"'));
    expect(warmUps).toHaveLength(2);
  });
});

describe("Microsoft's published examples and a field Microsoft adds", () => {
  afterEach(() => product.local.sandbox.clearRefusals());

  async function createdFrom(body: Record<string, unknown>): Promise<HttpAnswer> {
    return post(body, { 'idempotency-key': randomUUID(), prefer: 'wait=30' });
  }

  it.each([
    ['the seed, as Shared', () => seedRequest()],
    ['the seed, as Independent', () => independentSeedRequest()],
    ['create-shared-2019.request.json', () => microsoftSample('create-shared-2019.request.json')],
    [
      'create-private-deal-current.reconstructed.json',
      () => microsoftSample('create-private-deal-current.reconstructed.json'),
    ],
  ])('%s is created in Partner Center', async (_name, body) => {
    const answer = await createdFrom(body());
    expect(answer.status).toBe(201);
    const referrals =
      'partnerReferral' in (answer.body as object)
        ? [
            (answer.body as SharedOutcome).partnerReferral,
            (answer.body as SharedOutcome).microsoftReferral,
          ]
        : [answer.body as Referral];
    const held = await product.sandboxReferrals();
    for (const referral of referrals) {
      expectShape(ReferralSchema, referral);
      expect(held.map((r) => r.id)).toContain(referral.id);
    }
  });

  it('forwards a property the contract does not know, names it in the answer, never its value in the logs', async () => {
    const body = uniqueRequest('Independent') as Record<string, Record<string, unknown>>;
    body.details = { ...body.details, customerIntent: { plan: 'buy-within-90-days' } };
    const answer = await createdFrom(body);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('forwarded-unknown-properties')).toBe('$.details.customerIntent');
    const stored = (await product.sandboxReferrals()).find(
      (r) => r.id === (answer.body as Referral).id,
    );
    expect(stored?.details).toMatchObject({ customerIntent: { plan: 'buy-within-90-days' } });
    const logs = product.output.join('\n');
    expect(logs).toContain('$.details.customerIntent');
    expect(logs).not.toContain('buy-within-90-days');
  });

  it("answers Partner Center's refusal of a field with its code, target and message", async () => {
    product.local.sandbox.refuse({
      path: 'details.customerIntent',
      code: 'unsupportedProperty',
      message: 'customerIntent is not supported yet.',
    });
    const body = uniqueRequest('Independent') as Record<string, Record<string, unknown>>;
    body.details = { ...body.details, customerIntent: 'buy' };
    const answer = await createdFrom(body);
    expect(answer.status).toBe(400);
    expectShape(ErrorEnvelopeSchema, answer.body);
    expect((answer.body as { error: unknown }).error).toMatchObject({
      code: 'unsupportedProperty',
      target: 'details.customerIntent',
      upstream: {
        status: 400,
        code: 'unsupportedProperty',
        message: 'customerIntent is not supported yet.',
      },
    });
    // Refused, so nothing was created: the same key may carry the corrected request.
    expect(await referralsWith(body.externalReferenceId)).toHaveLength(0);
  });
});

describe('answers a client can follow', () => {
  it('answers a path no route takes with 404 in the envelope, a known path with another method with 405 and Allow', async () => {
    for (const [method, path, status] of [
      ['GET', '/api/', 404],
      ['GET', '/api/nothing/here', 404],
      ['PUT', '/api/referrals', 405],
      ['DELETE', `/api/referrals/${randomUUID()}`, 405],
    ] as const) {
      const answer = await product.request(method, path, {
        headers: { 'x-correlation-id': 'lost-1' },
      });
      expect([method, path, answer.status]).toEqual([method, path, status]);
      expectShape(ErrorEnvelopeSchema, answer.body);
      expect(answer.headers.get('x-correlation-id')).toBe('lost-1');
      if (status === 405) {
        const allowed = path === '/api/referrals' ? 'POST, GET' : 'GET, PATCH';
        expect(answer.headers.get('allow')).toBe(allowed);
      }
    }
  });

  it('gives out Locations on its own host, whatever Host the caller sends', async () => {
    const response = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      const url = new URL(`${product.url}/api/referrals`);
      const body = JSON.stringify(uniqueRequest('Shared'));
      const req = httpRequest(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            host: 'evil.example',
            authorization: `Bearer ${product.callerToken}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
        },
      );
      req.once('error', reject);
      req.end(body);
    });
    expect(response.status).toBe(202);
    expect(response.location.startsWith(`${product.url}/api/referrals/operations/`)).toBe(true);
  });
});
