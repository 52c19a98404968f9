import {
  PartnerCenterClient,
  type AttemptEvent,
} from '../../../../shared/adapters/partner-center/client';
import { validateReferralCreateRequest } from '../../../../shared/contract/validate';
import type { ReferralCreateRequest } from '../../../../shared/contract/schema';
import { PartnerCenterTokenProvider } from '../../../../shared/adapters/partner-center/token-provider';
import { independentSeedRequest } from '../../../support/seed';
import { startLocalPartnerCenter, type LocalPartnerCenter } from '../../../../local/stand-ins';
import { PartnerCenterError } from '../../../../shared/adapters/partner-center/errors';
import { answerOf } from '../../../support/answer-of';
import { standInTokenOptions } from '../../../support/stand-in-tokens';

let local: LocalPartnerCenter;
let events: AttemptEvent[];

beforeAll(async () => {
  local = await startLocalPartnerCenter();
});
afterAll(() => local.stop());
beforeEach(() => {
  local.sandbox.reset();
  events = [];
});

function tokenProvider() {
  return new PartnerCenterTokenProvider({
    ...standInTokenOptions(local),
    initialRefreshToken: local.identity.issueRefreshToken(local.clientId),
  });
}

function client(
  retry: Partial<ConstructorParameters<typeof PartnerCenterClient>[0]['retry']> = {},
) {
  const tokens = tokenProvider();
  return new PartnerCenterClient({
    baseUrl: local.sandbox.apiUrl,
    tokens,
    fetch: local.fetch,
    retry: { baseDelayMs: 5, maxDelayMs: 2000, ...retry },
    onAttempt: (event) => events.push(event),
  });
}

function seedReferral(): ReferralCreateRequest {
  const result = validateReferralCreateRequest(independentSeedRequest());
  if (!result.ok) throw new Error('seed must validate');
  return result.value;
}

test('creates, reads back and lists by engagement', async () => {
  local.sandbox.listDelayMs = 0; // listed at once: this is about the client, not the delay
  const pc = client();
  const { referral } = await pc.createReferral(seedReferral());
  expect(referral).toMatchObject({ type: 'Independent', name: 'Test Cosell Invite_20' });
  expect(referral.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(await pc.getReferral(referral.id)).toEqual(referral);
  const listed = await pc.listReferrals({ engagementId: referral.engagementId ?? '' });
  expect(listed.map((r) => r.id)).toEqual([referral.id]);
  expect(await pc.getReferral('00000000-0000-0000-0000-000000000000')).toBeUndefined();
});

test('a read recovers from 429 with Retry-After, 503 and a dropped connection', async () => {
  const pc = client();
  const { referral } = await pc.createReferral(seedReferral());
  events.length = 0;
  local.sandbox.injectFault({
    fault: { kind: 'status', status: 429, retryAfterSeconds: 1 },
    times: 1,
    method: 'GET',
  });
  local.sandbox.injectFault({ fault: { kind: 'status', status: 503 }, times: 1, method: 'GET' });
  local.sandbox.injectFault({ fault: { kind: 'drop' }, times: 1, method: 'GET' });
  const started = Date.now();
  expect((await pc.getReferral(referral.id))?.id).toBe(referral.id);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // Retry-After honoured
  expect(events.map((e) => e.outcome)).toEqual(['retry', 'retry', 'retry', 'success']);
  expect(new Set(events.map((e) => e.requestId)).size).toBe(1);
  expect(new Set(events.map((e) => e.clientRequestId)).size).toBe(4);
});

test('a create is retried after a 429 (nothing done), never after a 503 or a dropped answer (maybe done)', async () => {
  local.sandbox.injectFault({
    fault: { kind: 'status', status: 429, retryAfterSeconds: 1 },
    times: 1,
    method: 'POST',
  });
  const { referral } = await client().createReferral(seedReferral());
  expect(events.map((e) => e.outcome)).toEqual(['retry', 'success']);
  expect([...local.sandbox.referrals.keys()]).toEqual([referral.id]);

  for (const fault of [{ kind: 'status', status: 503 }, { kind: 'drop' }] as const) {
    events.length = 0;
    local.sandbox.injectFault({ fault, times: 1, method: 'POST' });
    const error = await answerOf(client().createReferral(seedReferral()));
    expect(events.map((e) => e.outcome)).toEqual(['failure']);
    // It may have been created: the caller finds out before sending it again.
    expect((error.raw as PartnerCenterError).failure).toMatchObject({
      created: 'unknown',
      retryable: true,
    });
  }
});

test('a create that succeeded upstream but whose answer was lost is not sent again by the client', async () => {
  local.sandbox.deduplicateRequestIds = false;
  local.sandbox.injectFault({ fault: { kind: 'drop' }, times: 1, when: 'after', method: 'POST' });
  const error = await answerOf(client().createReferral(seedReferral()));
  expect((error.raw as PartnerCenterError).failure.created).toBe('unknown');
  expect(local.sandbox.createRequests).toBe(1);
  expect(local.sandbox.referrals.size).toBe(1);
});

test('business errors are not retried and keep the upstream status and code', async () => {
  const invalid = {
    ...seedReferral(),
    status: 'Closed',
    substatus: 'Pending',
  } as ReferralCreateRequest;
  const error = await answerOf(client().createReferral(invalid));
  expect(error.status).toBe(400);
  expect(error.envelope.error).toMatchObject({
    code: 'invalidRequest',
    upstream: { status: 400, code: 'invalidRequest' },
  });
  expect(error.envelope.error.upstream?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  // A refusal: nothing was created and sending it again cannot help.
  expect((error.raw as PartnerCenterError).failure).toMatchObject({
    kind: 'rejected',
    created: 'no',
    retryable: false,
  });
  expect(events).toHaveLength(1);
  expect(local.sandbox.referrals.size).toBe(0);
});

test('persistent throttling ends in 429 with the upstream Retry-After', async () => {
  local.sandbox.injectFault({
    fault: { kind: 'status', status: 429, retryAfterSeconds: 7 },
    times: 100,
  });
  const error = await answerOf(
    client({ maxAttempts: 3, maxDelayMs: 50, deadlineMs: 5000 }).createReferral(seedReferral()),
  );
  expect(error.status).toBe(429);
  expect(error.retryAfterSeconds).toBe(7);
  expect(error.envelope.error.code).toBe('upstreamThrottled');
  expect(local.sandbox.referrals.size).toBe(0);
});

test('a 5xx storm longer than the retry budget ends a read in 502', async () => {
  local.sandbox.injectFault({ fault: { kind: 'status', status: 503 }, times: 100, method: 'GET' });
  const error = await answerOf(client({ maxAttempts: 3 }).listReferrals({}));
  expect(error.status).toBe(502);
  expect(error.envelope.error).toMatchObject({
    code: 'upstreamUnavailable',
    upstream: { status: 503 },
  });
  expect(events.map((e) => e.outcome)).toEqual(['retry', 'retry', 'failure']);
});

test('a slow upstream is abandoned per attempt: a read is retried within the deadline, a create ends unknown', async () => {
  local.sandbox.injectFault({ fault: { kind: 'delay', ms: 1500 }, times: 1, method: 'GET' });
  expect(await client({ attemptTimeoutMs: 300 }).listReferrals({})).toEqual([]);
  expect(events[0]).toMatchObject({ outcome: 'retry', reason: 'timeout' });

  events.length = 0;
  local.sandbox.injectFault({ fault: { kind: 'delay', ms: 1500 }, times: 1, method: 'POST' });
  const error = await answerOf(client({ attemptTimeoutMs: 300 }).createReferral(seedReferral()));
  expect(error.envelope.error.code).toBe('upstreamTimeout');
  expect(events.map((e) => e.outcome)).toEqual(['failure']);
});

test('an unreachable upstream ends in 502 upstreamUnreachable', async () => {
  const tokens = { getAccessToken: async () => 'token', invalidate: () => undefined };
  const pc = new PartnerCenterClient({
    baseUrl: 'https://127.0.0.1:1/v1.0',
    tokens,
    fetch: local.fetch,
    retry: { maxAttempts: 2, baseDelayMs: 1 },
  });
  const error = await answerOf(pc.getReferral('x'));
  expect(error.status).toBe(502);
  expect(error.envelope.error.code).toBe('upstreamUnreachable');
});

test('a refused token is replaced once', async () => {
  const real = tokenProvider();
  let calls = 0;
  const tokens = {
    getAccessToken: async () => (++calls === 1 ? 'not-a-token' : real.getAccessToken()),
    invalidate: jest.fn(),
  };
  const pc = new PartnerCenterClient({ baseUrl: local.sandbox.apiUrl, tokens, fetch: local.fetch });
  await pc.createReferral(seedReferral());
  expect(tokens.invalidate).toHaveBeenCalledTimes(1);
  expect(local.sandbox.referrals.size).toBe(1);
});

test('attempt events carry no token and no referral content', async () => {
  await client().createReferral(seedReferral());
  const text = JSON.stringify(events);
  expect(text).not.toMatch(/Bearer|eyJ/);
  expect(text).not.toContain('sue.smith@contoso.com');
});

test('headers as the Partner Center pages ask: a fresh MS-CorrelationId and client-request-id per attempt, one MS-RequestId across retries', async () => {
  const sent: Headers[] = [];
  const recording: typeof fetch = (input, init) => {
    sent.push(new Headers(init?.headers));
    return local.fetch(input, init);
  };
  local.sandbox.injectFault({ fault: { kind: 'status', status: 429 }, times: 1 });
  const pc = new PartnerCenterClient({
    baseUrl: local.sandbox.apiUrl,
    tokens: tokenProvider(),
    fetch: recording,
    retry: { baseDelayMs: 5 },
    onAttempt: (event) => events.push(event),
  });

  await pc.createReferral(seedReferral(), { requestId: 'b7f1c1de-6f0a-4c1e-9d55-2a8f3c0e9d11' });

  expect(sent).toHaveLength(2);
  const [first, second] = sent as [Headers, Headers];
  for (const headers of sent) {
    expect(headers.get('ms-requestid')).toBe('b7f1c1de-6f0a-4c1e-9d55-2a8f3c0e9d11');
    expect(headers.get('ms-correlationid')).toMatch(/^[0-9a-f-]{36}$/);
  }
  expect(first.get('ms-correlationid')).not.toBe(second.get('ms-correlationid'));
  expect(first.get('client-request-id')).not.toBe(second.get('client-request-id'));
  // Each attempt's MS-CorrelationId is reported, so the logs tie it to the gateway request.
  expect(events.map((e) => e.msCorrelationId)).toEqual([
    first.get('ms-correlationid'),
    second.get('ms-correlationid'),
  ]);
});

test('a refusal keeps what Partner Center said: code, target, message and its details', async () => {
  local.sandbox.refuse({
    path: 'details.notes',
    code: 'invalidInput',
    message: 'Notes are not accepted for this program.',
  });
  const error = await answerOf(client().createReferral(seedReferral()));
  expect(error.status).toBe(400);
  expect(error.envelope.error).toMatchObject({
    code: 'invalidInput',
    target: 'details.notes',
    message: expect.stringContaining('Notes are not accepted for this program.'),
    upstream: { status: 400, code: 'invalidInput', target: 'details.notes' },
  });
});
