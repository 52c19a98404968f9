import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { Referral } from '../../../shared/contract/schema';
import {
  IdempotencyStore,
  type StoredOutcome,
} from '../../../shared/adapters/storage/idempotency-store';
import {
  gatewayOn,
  startLocalGateway,
  type Answer,
  type LocalGateway,
} from '../../support/gateway';
import { independentSeedRequest, seedRequest, setPath } from '../../support/seed';
import { tableNamed } from '../../support/tables';
import { DEVSTORE_KEY, freePort } from '../../../local/azurite';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());
beforeEach(() => {
  gateway.local.sandbox.reset();
  gateway.local.sandbox.latencyMs = 0;
  gateway.logs.length = 0;
});

const sandbox = () => gateway.local.sandbox;
const errorOf = (answer: Answer) =>
  (answer.body as { error: { code: string; message: string; details: { path: string }[] } }).error;

async function storedRecords(table: TableClient): Promise<number> {
  let count = 0;
  try {
    for await (const _ of table.listEntities()) count++;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return 0;
    throw error;
  }
  return count;
}

describe('POST /api/referrals', () => {
  test('creates the seed request as an independent referral, once', async () => {
    const answer = await gateway.createReferral(independentSeedRequest(), {
      'x-correlation-id': 'flow-run-42',
    });

    expect(answer.status).toBe(201);
    const referral = answer.body as Referral;
    expect(sandbox().referrals.size).toBe(1);
    // Partner Center's referral, its links pointing at the gateway instead of Partner Center.
    expect(referral).toEqual({
      ...sandbox().referrals.get(referral.id),
      links: { self: { uri: `https://gateway.local/api/referrals/${referral.id}`, method: 'GET' } },
    });
    expect(referral).toMatchObject({
      type: 'Independent',
      name: 'Test Cosell Invite_20',
      status: 'New',
      substatus: 'Pending',
      consent: { consentToToShareInfoWithOthers: true, consentToContact: true },
    });
    expect(answer.headers.location).toBe(`https://gateway.local/api/referrals/${referral.id}`);
    expect(answer.headers['x-correlation-id']).toBe('flow-run-42');
    expect(answer.headers['idempotent-replayed']).toBeUndefined();
  });

  test('forwards friendly spellings in canonical camelCase', async () => {
    const request = independentSeedRequest();
    const { type, consent, ...rest } = request;
    const friendly = {
      ...rest,
      ReferralType: type,
      Consent: { consentToShareInfoWithOthers: true, ConsentToContact: true },
    };
    expect(consent).toBeDefined();

    const answer = await gateway.createReferral(friendly);

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      type: 'Independent',
      consent: { consentToToShareInfoWithOthers: true, consentToContact: true },
    });
  });

  describe('rejects bad input without forwarding or storing anything', () => {
    const valid = () => JSON.stringify(independentSeedRequest());
    const cases: [string, () => Promise<Answer>, number, string][] = [
      ['no Content-Type', () => gateway.postRaw(valid(), {}), 415, 'unsupportedMediaType'],
      [
        'a text Content-Type',
        () => gateway.postRaw(valid(), { 'content-type': 'text/plain' }),
        415,
        'unsupportedMediaType',
      ],
      [
        'a body over 1 MiB',
        () =>
          gateway.postRaw(
            JSON.stringify({ ...independentSeedRequest(), padding: 'x'.repeat(1024 * 1024) }),
            { 'content-type': 'application/json' },
          ),
        413,
        'payloadTooLarge',
      ],
      [
        'unparsable JSON',
        () =>
          gateway.postRaw('{\n  "type": "Independent",\n  "name": }', {
            'content-type': 'application/json',
          }),
        400,
        'invalidJson',
      ],
      [
        'an empty body',
        () => gateway.postRaw('', { 'content-type': 'application/json' }),
        400,
        'invalidJson',
      ],
      [
        'an invalid referral',
        () =>
          gateway.createReferral(
            setPath(
              setPath(independentSeedRequest(), 'details.currency', 'usd$'),
              'customerProfile.team[1].email',
              'joe@',
            ),
          ),
        400,
        'invalidRequest',
      ],
      [
        'a shared referral without a SolutionProfile target',
        () => gateway.createReferral(setPath(seedRequest(), 'target', undefined)),
        400,
        'invalidRequest',
      ],
      [
        'an unusable Idempotency-Key',
        () =>
          gateway.createReferral(independentSeedRequest(), {
            'idempotency-key': 'has spaces in it',
          }),
        400,
        'invalidIdempotencyKey',
      ],
    ];

    test.each(cases)('%s', async (_name, send, status, code) => {
      const answer = await send();

      expect(answer.status).toBe(status);
      expect(errorOf(answer).code).toBe(code);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(sandbox().createRequests).toBe(0);
      expect(await storedRecords(tableNamed(gateway.services.settings.IDEMPOTENCY_TABLE))).toBe(0);
    });

    test('every problem is listed with its path, and JSON errors with their position', async () => {
      const invalid = await gateway.createReferral(
        setPath(
          setPath(independentSeedRequest(), 'details.currency', 'usd$'),
          'customerProfile.team[1].email',
          'joe@',
        ),
      );
      expect(
        errorOf(invalid)
          .details.map((d) => d.path)
          .sort(),
      ).toEqual(['$.customerProfile.team[1].email', '$.details.currency']);

      const broken = await gateway.postRaw('{\n  "type": "Independent",\n  "name": }', {
        'content-type': 'application/json',
      });
      expect(errorOf(broken).message).toContain('line 3, column 11');
    });
  });

  test('a referral too large to keep (as stored, control characters escaped) is refused with 413 before anything is sent', async () => {
    // A property Microsoft may add (forwarded as the contract allows) holding 120,000 control
    // characters: about 120 KB as sent, 720,000 characters as stored JSON.
    const heavy = { ...independentSeedRequest(), futureInsights: '\u0001'.repeat(120000) };
    const before = sandbox().createRequests;

    const answer = await gateway.createReferral(heavy, { 'idempotency-key': randomUUID() });

    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('referralTooLarge');
    expect(errorOf(answer).message).toMatch(/at most 200000/);
    expect(sandbox().createRequests).toBe(before);
  });

  describe('exactly once', () => {
    test('the same key twice answers the stored outcome without a second create', async () => {
      const key = randomUUID();
      const first = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      const second = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.location).toBe(first.headers.location);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(sandbox().referrals.size).toBe(1);
      expect(sandbox().createRequests).toBe(1);
    });

    test('20 concurrent requests with one key create one referral and get identical answers', async () => {
      sandbox().latencyMs = 300;
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          gateway.createReferral(independentSeedRequest(), { 'idempotency-key': key }),
        ),
      );

      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      const bodies = new Set(answers.map((a) => JSON.stringify(a.body)));
      expect(bodies.size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
      expect(sandbox().referrals.size).toBe(1);
      expect(sandbox().createRequests).toBe(1);
    });

    test('the same request spelled differently is still the same request', async () => {
      const key = randomUUID();
      const first = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      const { type, ...rest } = independentSeedRequest();
      const second = await gateway.createReferral(
        { ReferralType: type, ...rest },
        { 'idempotency-key': key },
      );

      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(sandbox().referrals.size).toBe(1);
    });

    test('a used key with a different body is refused with 409', async () => {
      const key = randomUUID();
      await gateway.createReferral(independentSeedRequest(), { 'idempotency-key': key });
      const changed = await gateway.createReferral(
        setPath(independentSeedRequest(), 'details.dealValue', 75000),
        { 'idempotency-key': key },
      );

      expect(changed.status).toBe(409);
      expect(errorOf(changed).code).toBe('idempotencyKeyReused');
      expect(sandbox().referrals.size).toBe(1);
    });

    test('one key names one request whatever its type: Independent then Shared, and back', async () => {
      const startedBefore = gateway.orchestrations.started.length;
      const first = randomUUID();
      expect(
        (await gateway.createReferral(independentSeedRequest(), { 'idempotency-key': first }))
          .status,
      ).toBe(201);
      const shared = await gateway.createReferral(seedRequest(), { 'idempotency-key': first });
      expect(shared.status).toBe(409);
      expect(errorOf(shared).code).toBe('idempotencyKeyReused');
      expect(gateway.orchestrations.started).toHaveLength(startedBefore);

      const second = randomUUID();
      expect(
        (await gateway.createReferral(seedRequest(), { 'idempotency-key': second })).status,
      ).toBe(202);
      const independent = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': second,
      });
      expect(independent.status).toBe(409);
      expect(errorOf(independent).code).toBe('idempotencyKeyReused');
      expect(sandbox().referrals.size).toBe(1);
      expect(gateway.orchestrations.started).toHaveLength(startedBefore + 1);
    });

    test('two different Shared requests sent at once under one key: one goes on, the other 409', async () => {
      const startedBefore = gateway.orchestrations.started.length;
      const key = randomUUID();
      const answers = await Promise.all([
        gateway.createReferral(seedRequest(), { 'idempotency-key': key }),
        gateway.createReferral(setPath(seedRequest(), 'details.dealValue', 75000), {
          'idempotency-key': key,
        }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
      expect(errorOf(answers.find((a) => a.status === 409) as Answer).code).toBe(
        'idempotencyKeyReused',
      );
      expect(gateway.orchestrations.started).toHaveLength(startedBefore + 1);
    });

    test('a lost idempotency record still re-sends the same Partner Center request id', async () => {
      const key = randomUUID();
      const request = { ...independentSeedRequest(), externalReferenceId: `lost-${randomUUID()}` };
      expect((await gateway.createReferral(request, { 'idempotency-key': key })).status).toBe(201);
      const records = tableNamed(gateway.services.settings.IDEMPOTENCY_TABLE);
      for await (const record of records.listEntities({
        queryOptions: { filter: `key eq '${key}'` },
      })) {
        await records.deleteEntity(record.partitionKey ?? '', record.rowKey ?? '');
      }

      await gateway.createReferral(request, { 'idempotency-key': key });
      const [first, again] = sandbox().createRequestIds.slice(-2);
      expect(again).toBe(first);
    });

    test('externalReferenceId is the key when no header is sent', async () => {
      const request = { ...independentSeedRequest(), externalReferenceId: `lead-${randomUUID()}` };
      const first = await gateway.createReferral(request);
      const second = await gateway.createReferral(request);
      const other = await gateway.createReferral({
        ...request,
        externalReferenceId: `lead-${randomUUID()}`,
      });

      expect(second.body).toEqual(first.body);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(other.status).toBe(201);
      expect(sandbox().referrals.size).toBe(2);
    });

    test('without any key each request creates (documented: not deduplicated)', async () => {
      await gateway.createReferral(independentSeedRequest());
      await gateway.createReferral(independentSeedRequest());
      expect(sandbox().referrals.size).toBe(2);
    });

    test('503s followed by success create one referral, each resend after finding nothing made', async () => {
      sandbox().injectFault({ fault: { kind: 'status', status: 503 }, times: 2, method: 'POST' });
      const key = randomUUID();

      const answer = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });

      expect(answer.status).toBe(201);
      expect(sandbox().referrals.size).toBe(1);
      const again = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      expect(again.body).toEqual(answer.body);
      expect(sandbox().referrals.size).toBe(1);
    });

    test('an answer lost after Partner Center created the referral is found by listing, not created twice', async () => {
      // Partner Center as its docs allow: no request-id deduplication, lists a little behind.
      sandbox().deduplicateRequestIds = false;
      sandbox().listDelayMs = 400;
      sandbox().injectFault({ fault: { kind: 'drop' }, times: 1, method: 'POST', when: 'after' });

      const answer = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': randomUUID(),
      });

      expect(answer.status).toBe(201);
      expect(sandbox().createRequests).toBe(1);
      expect(sandbox().referrals.size).toBe(1);
      expect((answer.body as Referral).id).toBe([...sandbox().referrals.keys()][0]);
    });

    test('a business rejection frees the key for a corrected request', async () => {
      sandbox().injectFault({
        fault: { kind: 'status', status: 400, code: 'invalidRequest' },
        times: 1,
        method: 'POST',
      });
      const key = randomUUID();
      const rejected = await gateway.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      expect(rejected.status).toBe(400);
      expect(errorOf(rejected).code).toBe('invalidRequest');
      expect(rejected.body).toMatchObject({ error: { upstream: { status: 400 } } });

      const corrected = await gateway.createReferral(
        setPath(independentSeedRequest(), 'name', 'Corrected name'),
        { 'idempotency-key': key },
      );
      expect(corrected.status).toBe(201);
      expect(sandbox().referrals.size).toBe(1);
    });
  });

  describe('upstream failures', () => {
    test('Partner Center still failing after retries is a 502 in the envelope, and a later retry creates once', async () => {
      // The retry waits until a referral the failed call might have made would show in lists.
      const fast = gatewayOn(gateway.local, {
        PARTNER_CENTER_MAX_ATTEMPTS: '2',
        PARTNER_CENTER_LIST_DELAY_MS: '300',
      });
      // Three sends in the request, each after finding that the previous one made nothing.
      sandbox().injectFault({ fault: { kind: 'status', status: 500 }, times: 3, method: 'POST' });
      const key = randomUUID();

      const failed = await fast.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      expect(failed.status).toBe(502);
      expect(errorOf(failed).code).toBe('upstreamUnavailable');
      expect(failed.body).toMatchObject({ error: { upstream: { status: 500 } } });

      const retried = await fast.createReferral(independentSeedRequest(), {
        'idempotency-key': key,
      });
      expect(retried.status).toBe(201);
      expect(sandbox().referrals.size).toBe(1);
    });

    test('Partner Center throttling beyond the deadline is a 429 with Retry-After', async () => {
      const fast = gatewayOn(gateway.local, { PARTNER_CENTER_MAX_ATTEMPTS: '2' });
      sandbox().injectFault({
        fault: { kind: 'status', status: 429, retryAfterSeconds: 120 },
        times: 5,
        method: 'POST',
      });

      const answer = await fast.createReferral(independentSeedRequest());

      expect(answer.status).toBe(429);
      expect(errorOf(answer).code).toBe('upstreamThrottled');
      expect(answer.headers['retry-after']).toBe('120');
      expect(sandbox().referrals.size).toBe(0);
    });
  });

  test('storage out of reach answers 503 storageUnavailable with Retry-After, and sends nothing', async () => {
    const port = await freePort(); // nothing listens there
    const noStorage = gatewayOn(gateway.local, {
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEVSTORE_KEY};TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    });
    const before = sandbox().createRequests;

    const answer = await noStorage.createReferral(independentSeedRequest(), {
      'idempotency-key': randomUUID(),
    });

    expect(answer.status).toBe(503);
    expect(errorOf(answer).code).toBe('storageUnavailable');
    expect(answer.headers['retry-after']).toBe('10');
    expect(sandbox().createRequests).toBe(before);
  }, 60000);

  test('beyond the assumed list delay, a lost answer is not found: the resend is a duplicate, and the logs say so', async () => {
    // The assumption broken on purpose: the referral shows in lists after 3 s, the bound is 300 ms.
    const hasty = gatewayOn(gateway.local, { PARTNER_CENTER_LIST_DELAY_MS: '300' });
    sandbox().deduplicateRequestIds = false;
    sandbox().listDelayMs = 3000;
    sandbox().injectFault({ fault: { kind: 'drop' }, times: 1, method: 'POST', when: 'after' });

    const answer = await hasty.createReferral(independentSeedRequest(), {
      'idempotency-key': randomUUID(),
    });

    expect(answer.status).toBe(201);
    expect(sandbox().referrals.size).toBe(2);
    const resent = hasty.logs.filter((line) =>
      line.includes('"event":"referral.resentAfterUnknownOutcome"'),
    );
    expect(resent).toHaveLength(1);
  });

  test('an unknown outcome with nothing created is sent again, once it would have shown', async () => {
    sandbox().deduplicateRequestIds = false;
    sandbox().injectFault({ fault: { kind: 'status', status: 503 }, times: 1, method: 'POST' });
    const faultsBefore = sandbox().faultsApplied['503-before'] ?? 0;

    const answer = await gateway.createReferral(independentSeedRequest(), {
      'idempotency-key': randomUUID(),
    });

    expect(answer.status).toBe(201);
    expect((sandbox().faultsApplied['503-before'] ?? 0) - faultsBefore).toBe(1);
    expect(sandbox().referrals.size).toBe(1);
  });

  test('a repeat that comes before the outcome is written waits for it and replays the referral', async () => {
    const slow = gatewayOn(gateway.local, {});
    // The writes after the answer take a while (a slow storage round trip).
    class SlowToRecord extends IdempotencyStore {
      override async complete(...args: Parameters<IdempotencyStore['complete']>) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return super.complete(...args);
      }
    }
    slow.services.idempotency = new SlowToRecord(
      tableNamed(slow.services.settings.IDEMPOTENCY_TABLE),
    );
    const key = randomUUID();

    const first = await slow.createReferral(independentSeedRequest(), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(slow.services.afterAnswer.size).toBe(1);
    const repeat = await slow.createReferral(independentSeedRequest(), { 'idempotency-key': key });

    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(first.body);
    expect(sandbox().createRequests).toBe(1);
  });

  test('an instance reclaimed after answering, before its outcome is written: a repeat finds the referral instead of creating another', async () => {
    // Short Partner Center deadline so the dead request's lease runs out within the test.
    const crashing = gatewayOn(gateway.local, {
      PARTNER_CENTER_DEADLINE_MS: '1500',
      IDEMPOTENCY_LEASE_MS: '2000',
      PARTNER_CENTER_LIST_DELAY_MS: '1000',
    });
    // Partner Center as its docs allow: a repeated request id is not deduplicated, and a new
    // referral shows in lists only after a while (within the assumed bound).
    sandbox().deduplicateRequestIds = false;
    sandbox().listDelayMs = 500;
    let killProcess: (reason: Error) => void = () => undefined;
    const processGone = new Promise<never>((_, reject) => {
      killProcess = reject;
    });
    // The first instance answers, then is reclaimed before its outcome is written (work after
    // the answer is not guaranteed to finish in the Functions Node model).
    class DiesBeforeRecording extends IdempotencyStore {
      override complete(): Promise<boolean> {
        return processGone;
      }
    }
    const healthy = crashing.services.idempotency;
    crashing.services.idempotency = new DiesBeforeRecording(
      tableNamed(crashing.services.settings.IDEMPOTENCY_TABLE),
    );
    const key = randomUUID();

    const answered = await crashing.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
    });
    expect(answered.status).toBe(201);
    crashing.services.idempotency = healthy;

    // The caller (its answer lost on the way) retries: it waits out the lease, then takes over.
    const retried = await crashing.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
    });

    expect(retried.status).toBe(201);
    expect((retried.body as Referral).id).toBe([...sandbox().referrals.keys()][0]);
    expect(sandbox().referrals.size).toBe(1);
    // Found by listing, not sent again.
    expect(sandbox().createRequests).toBe(1);
    expect(crashing.logs.some((line) => line.includes('"event":"idempotency.reconciled"'))).toBe(
      true,
    );
    const replay = await crashing.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');

    killProcess(new Error('process killed'));
    await crashing.services.afterAnswer.drain();
  });

  test('a repeat while the first is in flight gets 202 with a Location that ends in its referral', async () => {
    const impatient = gatewayOn(gateway.local, { IDEMPOTENCY_WAIT_MS: '0' });
    sandbox().latencyMs = 500;
    const key = randomUUID();

    const first = impatient.createReferral(independentSeedRequest(), { 'idempotency-key': key });
    await waitFor(
      async () => (await impatient.services.idempotency.get('anonymous', key)) !== undefined,
    );
    const repeat = await impatient.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
    });

    // Power Automate does not retry a 409; it follows a 202 by itself.
    expect(repeat.status).toBe(202);
    expect(Number(repeat.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const location = repeat.headers.location ?? '';
    expect(location).toMatch(/\/api\/referrals\/requests\/[0-9a-f]{64}$/);
    const created = await first;
    expect(created.status).toBe(201);
    // Its poller comes back after Retry-After: by then the first's outcome is written.
    await impatient.services.afterAnswer.drain();
    const followed = await impatient.followCreate(location);
    expect(followed.status).toBe(201);
    expect(followed.body).toEqual(created.body);
    expect(sandbox().referrals.size).toBe(1);
  });

  test('after a crash, the repeat is told to poll, and polling finishes the request with the same request id', async () => {
    const crashing = gatewayOn(gateway.local, {
      PARTNER_CENTER_DEADLINE_MS: '1500',
      IDEMPOTENCY_LEASE_MS: '2000',
      IDEMPOTENCY_WAIT_MS: '0',
      PARTNER_CENTER_LIST_DELAY_MS: '500',
    });
    // The first instance dies before Partner Center is even called: its reservation stays.
    class DiesAfterReserving extends IdempotencyStore {
      override async reserve(...args: Parameters<IdempotencyStore['reserve']>) {
        const result = await super.reserve(...args);
        if (result.reserved) throw new Error('process killed');
        return result;
      }
    }
    const healthy = crashing.services.idempotency;
    crashing.services.idempotency = new DiesAfterReserving(
      tableNamed(crashing.services.settings.IDEMPOTENCY_TABLE),
    );
    const key = randomUUID();
    const before = sandbox().createRequests;
    expect(
      (await crashing.createReferral(independentSeedRequest(), { 'idempotency-key': key })).status,
    ).toBe(500);
    crashing.services.idempotency = healthy;

    const repeat = await crashing.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
    });
    expect(repeat.status).toBe(202);
    let followed = await crashing.followCreate(repeat.headers.location ?? '');
    for (let i = 0; followed.status === 202 && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      followed = await crashing.followCreate(repeat.headers.location ?? '');
    }
    expect(followed.status).toBe(201);
    expect(sandbox().createRequests).toBe(before + 1);
    expect(sandbox().referrals.size).toBe(1);
  });

  test('records who called, when, and the referral and engagement ids', async () => {
    const key = randomUUID();
    const before = Date.now();
    const answer = await gateway.createReferral(independentSeedRequest(), {
      'idempotency-key': key,
      'x-correlation-id': 'corr-1',
    });
    const referral = answer.body as Referral;
    // Written after the answer.
    await gateway.services.afterAnswer.drain();

    const record = await gateway.services.idempotency.get('anonymous', key);

    expect(record).toMatchObject({
      state: 'completed',
      caller: 'anonymous',
      correlationId: 'corr-1',
      outcome: expect.objectContaining<Partial<StoredOutcome>>({
        referralId: referral.id,
        engagementId: referral.engagementId as string,
      }),
    });
    expect(record?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const days =
      ((record?.expiresAt.getTime() ?? 0) - (record?.createdAt.getTime() ?? 0)) / 86400000;
    expect(days).toBeCloseTo(30, 5);
  });

  test('logs are structured, carry the correlation id, and never contact data or tokens', async () => {
    await gateway.createReferral(independentSeedRequest(), {
      'x-correlation-id': 'corr-logs',
      'idempotency-key': randomUUID(),
    });

    expect(gateway.logs.length).toBeGreaterThan(0);
    for (const line of gateway.logs) {
      const json = line.slice(line.indexOf(' ') + 1);
      expect(JSON.parse(json)).toMatchObject({ correlationId: 'corr-logs' });
    }
    const all = gateway.logs.join('\n');
    for (const secret of [
      'sue.smith@contoso.com',
      'Smith',
      '1234567890',
      'Contoso Customer',
      'One Microsoft Way',
      gateway.local.clientSecret,
      'eyJ', // any JWT
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('referral.created');
  });
});

describe('GET /api/referrals/{id}', () => {
  test('answers the referral from Partner Center', async () => {
    const created = (await gateway.createReferral(independentSeedRequest())).body as Referral;
    const answer = await gateway.getReferral(created.id);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(created);
  });

  test('404 in the envelope when Partner Center has none', async () => {
    const answer = await gateway.getReferral(randomUUID());
    expect(answer.status).toBe(404);
    expect(errorOf(answer).code).toBe('referralNotFound');
  });

  test('400 for an id that is not a GUID, without calling Partner Center', async () => {
    const answer = await gateway.getReferral('not-a-guid');
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('invalidReferralId');
  });
});

async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
