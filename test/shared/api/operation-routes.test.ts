/**
 * The shared referral routes, with the orchestration client stubbed: what starts, and how each
 * state of an operation is answered. The flow itself is tested by replaying the orchestrator and
 * end to end through the local host.
 */
import { randomUUID } from 'node:crypto';
import type {
  SharedReferralOutput,
  StepFailure,
} from '../../../shared/application/shared-referral/flow';
import { preferredWaitMs } from '../../../shared/api/operation-routes';
import type { Referral } from '../../../shared/contract/schema';
import { errorOf, gatewayOn, startLocalGateway, type LocalGateway } from '../../support/gateway';
import { seedRequest, setPath } from '../../support/seed';
import { refusedStep } from '../../support/failures';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => {
  gateway.orchestrations.instances.clear();
  gateway.orchestrations.started.length = 0;
  gateway.orchestrations.onStart = undefined;
});

const stub = () => gateway.orchestrations;

function outcome(operationId: string): SharedReferralOutput {
  const referral = (id: string, type: 'SolutionProfile' | 'BusinessProfileLocation') =>
    ({ ...seedRequest(), id, engagementId: 'eng-1', target: [{ type, id: 'x' }] }) as Referral;
  return {
    operationId,
    engagementId: 'eng-1',
    partnerReferral: referral('p-1', 'SolutionProfile'),
    microsoftReferral: referral('m-1', 'BusinessProfileLocation'),
  };
}

const operationIdOf = (answer: { body: unknown }) =>
  (answer.body as { operationId: string }).operationId;

test('a shared create starts the operation with the partner referral and answers 202', async () => {
  const accepted = await gateway.createReferral(seedRequest(), { 'idempotency-key': randomUUID() });

  expect(accepted.status).toBe(202);
  const operationId = operationIdOf(accepted);
  expect(accepted.body).toEqual({ operationId, state: 'running', step: 'partnerReferral' });
  expect(accepted.headers.location).toBe(
    `https://gateway.local/api/referrals/operations/${operationId}`,
  );
  expect(Number(accepted.headers['retry-after'])).toBeGreaterThan(0);
  const [started] = stub().started;
  expect(started?.operationId).toBe(operationId);
  expect(started?.input).toMatchObject({
    keySource: 'header',
    caller: 'anonymous',
    referral: { type: 'Shared', target: [{ type: 'SolutionProfile', id: 'SOL-34104-EBB' }] },
    retry: { maxAttempts: 5, firstDelayMs: 5000 },
  });
  expect(gateway.local.sandbox.createRequests).toBe(0);
});

test('while it runs, the operation answers 202 with the step and the engagement once known', async () => {
  const accepted = await gateway.createReferral(seedRequest(), { 'idempotency-key': randomUUID() });
  const operationId = operationIdOf(accepted);
  stub().progress(operationId, { step: 'microsoftReferral', engagementId: 'eng-1' });

  const running = await gateway.getOperation(operationId);

  expect(running.status).toBe(202);
  expect(running.body).toEqual({
    operationId,
    state: 'running',
    step: 'microsoftReferral',
    engagementId: 'eng-1',
  });
});

test('a completed operation answers 201 with both referrals and the engagement as Location', async () => {
  const accepted = await gateway.createReferral(seedRequest(), { 'idempotency-key': randomUUID() });
  const operationId = operationIdOf(accepted);
  stub().complete(operationId, outcome(operationId));

  const done = await gateway.getOperation(operationId);

  expect(done.status).toBe(201);
  const links = (id: string) => ({
    self: { uri: `https://gateway.local/api/referrals/${id}`, method: 'GET' },
  });
  const expected = outcome(operationId);
  expect(done.body).toEqual({
    ...expected,
    partnerReferral: { ...expected.partnerReferral, links: links('p-1') },
    microsoftReferral: { ...expected.microsoftReferral, links: links('m-1') },
  });
  expect(done.headers.location).toBe('https://gateway.local/api/engagements/eng-1');
});

test('Prefer: wait=N answers 201 with the result when it finishes in time', async () => {
  stub().onStart = (operationId) => ({ runtimeStatus: 'Completed', output: outcome(operationId) });

  const answer = await gateway.createReferral(seedRequest(), {
    'idempotency-key': randomUUID(),
    prefer: 'respond-async, wait=10',
  });

  expect(answer.status).toBe(201);
  expect(answer.headers['preference-applied']).toBe('wait=10');
});

test('Prefer: wait=N still running at the end answers 202, having waited', async () => {
  const started = Date.now();
  const answer = await gateway.createReferral(seedRequest(), {
    'idempotency-key': randomUUID(),
    prefer: 'wait=1',
  });

  expect(answer.status).toBe(202);
  expect(answer.headers['preference-applied']).toBe('wait=1');
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
});

test('repeated and concurrent submissions with one key join one operation', async () => {
  const key = randomUUID();
  const answers = await Promise.all(
    Array.from({ length: 5 }, () =>
      gateway.createReferral(seedRequest(), { 'idempotency-key': key }),
    ),
  );

  expect(new Set(answers.map(operationIdOf)).size).toBe(1);
  expect(answers.every((a) => a.status === 202)).toBe(true);
  expect(stub().started).toHaveLength(1);
});

test('a used key with a different shared referral is refused with 409, nothing started', async () => {
  const key = randomUUID();
  await gateway.createReferral(seedRequest(), { 'idempotency-key': key });

  const changed = await gateway.createReferral(setPath(seedRequest(), 'details.dealValue', 1), {
    'idempotency-key': key,
  });

  expect(changed.status).toBe(409);
  expect(errorOf(changed)).toMatchObject({
    code: 'idempotencyKeyReused',
    target: 'Idempotency-Key',
  });
  expect(stub().started).toHaveLength(1);
});

const unavailable: StepFailure = {
  source: 'partnerCenter',
  failure: {
    kind: 'unavailable',
    operation: 'create a referral',
    status: 503,
    requestId: 'r-1',
    created: 'unknown',
    retryable: true,
  },
};

test.each<[string, StepFailure | undefined, number, string]>([
  ['Partner Center unavailable after retries', unavailable, 502, 'upstreamUnavailable'],
  ['refused by Partner Center', refusedStep(), 400, 'invalidInput'],
  ['ended without a recorded cause', undefined, 500, 'sharedReferralFailed'],
])('a failed operation (%s) is answered with its cause', async (_name, failure, status, code) => {
  const accepted = await gateway.createReferral(seedRequest(), { 'idempotency-key': randomUUID() });
  const operationId = operationIdOf(accepted);
  stub().fail(operationId, failure ? { step: 'failed', failure } : undefined);

  const answer = await gateway.getOperation(operationId);

  expect(answer.status).toBe(status);
  expect(errorOf(answer).code).toBe(code);
});

test('a failed operation sent again under the same key is started again, same operation', async () => {
  const key = randomUUID();
  const first = await gateway.createReferral(seedRequest(), { 'idempotency-key': key });
  stub().fail(operationIdOf(first), { step: 'failed', failure: unavailable });

  const again = await gateway.createReferral(seedRequest(), { 'idempotency-key': key });

  expect(again.status).toBe(202);
  expect(operationIdOf(again)).toBe(operationIdOf(first));
  expect(stub().started.map((s) => s.operationId)).toEqual([
    operationIdOf(first),
    operationIdOf(first),
  ]);
});

test('unknown operations and engagements are 404 in the envelope', async () => {
  const operation = await gateway.getOperation(randomUUID());
  expect(operation.status).toBe(404);
  expect(errorOf(operation).code).toBe('operationNotFound');
  const engagement = await gateway.getEngagement(randomUUID());
  expect(engagement.status).toBe(404);
  expect(errorOf(engagement).code).toBe('engagementNotFound');
});

test('Prefer: wait is read per RFC 7240 and capped at 100 seconds', () => {
  expect(preferredWaitMs(null)).toBe(0);
  expect(preferredWaitMs('wait=5')).toBe(5000);
  expect(preferredWaitMs('respond-async, wait=500')).toBe(100000);
  expect(preferredWaitMs('return=minimal')).toBe(0);
});

test('a repeat of a shared request is marked Idempotent-Replayed, as an independent one is', async () => {
  const key = randomUUID();
  const first = await gateway.createReferral(seedRequest(), { 'idempotency-key': key });
  const again = await gateway.createReferral(seedRequest(), { 'idempotency-key': key });
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(operationIdOf(again)).toBe(operationIdOf(first));
});

test('operation and engagement ids are checked for shape; a 404 never repeats what was sent', async () => {
  const sent = 'x<script>alert(1)</script>';
  for (const answer of [await gateway.getOperation(sent), await gateway.getEngagement(sent)]) {
    expect(answer.status).toBe(400);
    expect(errorOf(answer).details[0]).toMatchObject({ code: 'invalidFormat' });
    expect(JSON.stringify(answer.body)).not.toContain('script');
  }
  const unknown = randomUUID();
  for (const answer of [
    await gateway.getOperation(unknown),
    await gateway.getEngagement(unknown),
  ]) {
    expect(answer.status).toBe(404);
    expect(JSON.stringify(answer.body)).not.toContain(unknown);
  }
});

test('Location is absolute on the configured public base URL when there is one', async () => {
  const behindProxy = gatewayOn(gateway.local, {
    PUBLIC_BASE_URL: 'https://referrals.partner.example',
  });
  const accepted = await behindProxy.createReferral(seedRequest(), {
    'idempotency-key': randomUUID(),
    // Forwarding headers are not trusted: only the configured base names the host.
    'x-forwarded-host': 'evil.example',
  });
  expect(accepted.headers.location).toBe(
    `https://referrals.partner.example/api/referrals/operations/${operationIdOf(accepted)}`,
  );
});

test('a shared create names the unknown properties it forwarded, as an independent one does', async () => {
  const body = setPath(seedRequest(), 'details.customerIntent', 'buy');
  const accepted = await gateway.createReferral(body, { 'idempotency-key': randomUUID() });
  expect(accepted.headers['forwarded-unknown-properties']).toBe('$.details.customerIntent');
  expect(stub().started[0]?.input.referral.details).toMatchObject({ customerIntent: 'buy' });
});
