/**
 * The event callback and the subscriptions, through the routes against the sandbox (which signs
 * events as Partner Center does) and Azurite: nothing unverified goes further, a verified event is
 * accepted once, subscriptions are checked and kept for who made them.
 */
import { randomUUID } from 'node:crypto';
import { entraToken, gatewayAuthSettings } from '../../support/entra-tokens';
import { errorOf, gatewayOn, startLocalGateway, type LocalGateway } from '../../support/gateway';

let gateway: LocalGateway;

beforeAll(async () => {
  gateway = await startLocalGateway();
});
afterAll(() => gateway.stop());

const event = (referralId: string, at = new Date().toISOString()) =>
  Buffer.from(
    JSON.stringify({
      EventName: 'referral-updated',
      ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${referralId}`,
      ResourceName: 'referral',
      AuditUri: null,
      ResourceChangeUtcDate: at,
    }),
  );

const signed = (body: Buffer) => gateway.local.sandbox.webhooks.signedHeaders(body);

describe('the event callback', () => {
  test('a verified event starts its processing once; its repeat is acknowledged, not started again', async () => {
    const body = event(randomUUID());
    const first = await gateway.postEvent(body, signed(body));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ processed: true, duplicate: false });
    const again = await gateway.postEvent(body, signed(body));
    expect(again.body).toMatchObject({ processed: true, duplicate: true });
    const started = gateway.events.started.filter(
      (s) => s.input.eventId === (first.body as { eventId: string }).eventId,
    );
    expect(started).toHaveLength(1);
    expect(started[0]?.input).toMatchObject({ eventName: 'referral-updated' });
  });

  test('an unsigned or altered event answers 401 and starts nothing', async () => {
    const before = gateway.events.started.length;
    const body = event(randomUUID());
    const headers = signed(body);
    const unsigned = await gateway.postEvent(body, { 'content-type': 'application/json' });
    const altered = await gateway.postEvent(event(randomUUID()), headers);
    for (const answer of [unsigned, altered]) {
      expect(answer.status).toBe(401);
      expect(errorOf(answer).code).toBe('eventNotVerified');
    }
    expect(gateway.events.started.length).toBe(before);
    // Why, for operators only.
    expect(gateway.logs.some((l) => l.includes('"signatureInvalid"'))).toBe(true);
  });

  test('a verified test event is acknowledged and not processed; a signed non-event is 400', async () => {
    const test = Buffer.from(
      JSON.stringify({
        EventName: 'test-created',
        ResourceUri:
          'https://api.partnercenter.microsoft.com/webhooks/v1/registration/validationEvents/1',
        ResourceName: 'test',
        AuditUri: null,
        ResourceChangeUtcDate: new Date().toISOString(),
      }),
    );
    const before = gateway.events.started.length;
    const answer = await gateway.postEvent(test, signed(test));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ processed: false });
    const nonsense = Buffer.from('{"hello":"world"}');
    expect((await gateway.postEvent(nonsense, signed(nonsense))).status).toBe(400);
    expect(gateway.events.started.length).toBe(before);
  });
});

describe('subscriptions', () => {
  const valid = (url = 'http://127.0.0.1:9/flow') => ({
    notificationUrl: url,
    events: ['referral-updated'],
    filter: { direction: 'Incoming' },
  });

  test('are made with a Location to delete, read with their deliveries, deleted', async () => {
    const made = await gateway.subscribe(valid());
    expect(made.status).toBe(201);
    const { id } = made.body as { id: string };
    expect(made.headers.location).toBe(`https://gateway.local/api/subscriptions/${id}`);
    const read = await gateway.getSubscription(id);
    expect(read.body).toMatchObject({ id, events: ['referral-updated'], deliveries: [] });
    expect((await gateway.deleteSubscription(id)).status).toBe(204);
    expect((await gateway.getSubscription(id)).status).toBe(404);
  });

  test.each([
    [{ events: ['referral-updated'] }, '$.notificationUrl'],
    [{ ...valid(), events: ['referral-deleted'] }, '$.events[0]'],
    [{ ...valid(), filter: { direction: 'Sideways' } }, '$.filter.direction'],
    [{ ...valid(), secret: 'x' }, '$'],
  ])('an invalid subscription is refused, naming what: %o', async (body, path) => {
    const answer = await gateway.subscribe(body);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).details).toContainEqual(expect.objectContaining({ path }));
  });

  test('outside the local product, a callback must be public HTTPS', async () => {
    const production = gatewayOn(gateway.local, { NOTIFICATION_ALLOW_LOOPBACK: 'false' });
    for (const url of [
      'http://127.0.0.1:9/flow',
      'https://127.0.0.1/flow',
      'https://169.254.169.254/latest',
      'https://10.0.0.8/flow',
    ]) {
      const answer = await production.subscribe(valid(url));
      expect(answer.status).toBe(400);
      expect(errorOf(answer).code).toBe('invalidNotificationUrl');
    }
  });

  test('are for the Referrals.Subscribe role, and each caller reads its own only', async () => {
    const secured = gatewayOn(gateway.local, gatewayAuthSettings(gateway.local.identity));
    const reader = await entraToken(gateway.local.identity, { roles: ['Referrals.Read'] });
    const one = await entraToken(gateway.local.identity, { roles: ['Referrals.Subscribe'] });
    const other = await entraToken(gateway.local.identity, { roles: ['Referrals.Subscribe'] });
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    expect((await secured.subscribe(valid(), as(reader))).status).toBe(403);
    const made = await secured.subscribe(valid(), as(one));
    const { id } = made.body as { id: string };
    expect((await secured.getSubscription(id, as(other))).status).toBe(404);
    expect((await secured.deleteSubscription(id, as(other))).status).toBe(404);
    expect((await secured.getSubscription(id, as(one))).status).toBe(200);
  });
});
