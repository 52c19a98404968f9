/**
 * Partner Center's events in, a flow's notifications out, end to end through the local host: the
 * sandbox (registered through its webhook API) signs and sends events as Partner Center does, a
 * small HTTP server stands in for the Power Automate flow that subscribed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationSchema, type Notification } from '../../shared/contract/subscription';
import type { Referral } from '../../shared/contract/schema';
import { signingChain } from '../../local/event-signing';
import { seedRequest } from '../support/seed';
import { startProduct, type ProductFixture } from '../support/local-host';

jest.setTimeout(120000);

let product: ProductFixture;

/** The flow's stand-in: records what it is told; answers 503 while `down`. */
class Subscriber {
  readonly received: Notification[] = [];
  down = false;
  attempts = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        this.attempts += 1;
        if (this.down) {
          res.writeHead(503).end();
          return;
        }
        this.received.push(NotificationSchema.parse(JSON.parse(text)));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/flow/run?sig=secret`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

beforeAll(async () => {
  product = await startProduct({ NOTIFICATION_RETRY_MS: '300' });
  // The gateway registered with the sandbox, as the registration command does with Partner Center.
  product.local.sandbox.webhooks.retryMs = 200;
  product.local.sandbox.webhooks.registration = {
    SubscriberId: randomUUID(),
    WebhookUrl: `${product.url}/api/partner-center/events`,
    WebhookEvents: [
      'referral-created',
      'referral-updated',
      'related-referral-created',
      'related-referral-updated',
    ],
  };
});

afterAll(async () => {
  await product?.stop();
});

const json = { 'content-type': 'application/json' };
const sandbox = () => product.local.sandbox;

async function until<T>(what: string, probe: () => T | undefined, ms = 30000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sharedReferral(): Promise<Referral> {
  let answer = await product.request('POST', '/api/referrals', {
    body: JSON.stringify({ ...seedRequest(), externalReferenceId: `e2e-${randomUUID()}` }),
    headers: { ...json, 'idempotency-key': randomUUID(), prefer: 'wait=30' },
  });
  for (let i = 0; answer.status === 202 && i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await product.request('GET', answer.headers.get('location') as string);
  }
  expect(answer.status).toBe(201);
  return (answer.body as { partnerReferral: Referral }).partnerReferral;
}

async function subscribe(subscriber: Subscriber, engagementId: string): Promise<string> {
  const answer = await product.request('POST', '/api/subscriptions', {
    body: JSON.stringify({
      notificationUrl: subscriber.url,
      events: ['referral-updated'],
      filter: { engagementId },
    }),
    headers: json,
  });
  expect(answer.status).toBe(201);
  // Shown back without its path: a flow's URL carries its signature.
  expect((answer.body as { notificationUrl: string }).notificationUrl).toBe(
    new URL(subscriber.url).origin,
  );
  return answer.headers.get('location') as string;
}

const accepted = (referralId: string) => (n: Notification) =>
  n.referral.id === referralId && n.referral.status === 'Active';

test('Microsoft accepts a shared referral: the subscriber gets one notification with the referral as it is now', async () => {
  const subscriber = new Subscriber();
  await subscriber.start();
  try {
    const partner = await sharedReferral();
    const location = await subscribe(subscriber, partner.engagementId as string);
    expect(sandbox().actAsMicrosoft(partner.id, 'accept').status).toBe(200);

    const notification = await until('the notification', () =>
      subscriber.received.find(accepted(partner.id)),
    );
    expect(notification).toMatchObject({
      eventName: 'referral-updated',
      referral: { id: partner.id, status: 'Active', substatus: 'Accepted' },
    });
    // Partner Center's links never reach a subscriber.
    expect(JSON.stringify(notification.referral.links ?? {})).not.toContain(sandbox().baseUrl);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(subscriber.received.filter(accepted(partner.id))).toHaveLength(1);

    const read = await product.request('GET', location);
    expect(read.status).toBe(200);
    expect((read.body as { deliveries: { state: string }[] }).deliveries).toContainEqual(
      expect.objectContaining({ state: 'delivered', eventId: notification.eventId }),
    );
    expect((await product.request('DELETE', location)).status).toBe(204);
    expect((await product.request('GET', location)).status).toBe(404);
  } finally {
    await subscriber.stop();
  }
});

test('forged, altered, wrongly signed or untrusted events answer 401 and deliver nothing', async () => {
  const subscriber = new Subscriber();
  await subscriber.start();
  try {
    const partner = await sharedReferral();
    await subscribe(subscriber, partner.engagementId as string);
    const event = {
      EventName: 'referral-updated',
      ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${partner.id}`,
      ResourceName: 'referral',
      AuditUri: null,
      ResourceChangeUtcDate: new Date().toISOString(),
    };
    const body = Buffer.from(JSON.stringify(event));
    const signed = sandbox().webhooks.signedHeaders(body);
    const send = (payload: Buffer, headers: Record<string, string>) =>
      fetch(`${product.url}/api/partner-center/events`, {
        method: 'POST',
        headers,
        body: payload,
      });
    const altered = Buffer.from(JSON.stringify({ ...event, ResourceChangeUtcDate: 'x' }));
    const other = await signingChain({
      intermediateUrl: `${sandbox().baseUrl}/_certs/intermediate.cer`,
    });
    for (const [payload, headers] of [
      [body, { 'content-type': 'application/json' }],
      [altered, signed],
      [body, { ...signed, authorization: `Signature ${other.sign(body)}` }],
      [body, { ...signed, 'x-ms-certificate-url': 'https://127.0.0.1:1/nowhere.cer' }],
    ] as const) {
      const answer = await send(payload, headers);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
        'eventNotVerified',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(subscriber.attempts).toBe(0);
  } finally {
    await subscriber.stop();
  }
});

test('an event sent twice is delivered once', async () => {
  const subscriber = new Subscriber();
  await subscriber.start();
  try {
    const partner = await sharedReferral();
    await subscribe(subscriber, partner.engagementId as string);
    expect(sandbox().actAsMicrosoft(partner.id, 'accept').status).toBe(200);
    const first = await until('the delivery', () =>
      sandbox().webhooks.deliveries.find(
        (d) =>
          String(d.event.ResourceUri).endsWith(partner.id) &&
          d.state === 'delivered' &&
          d.event.EventName === 'referral-updated',
      ),
    );
    // Partner Center sends the same event again (its retry after a lost acknowledgement).
    const again = sandbox().webhooks.send(first.event);
    await until('the repeat acknowledged', () =>
      again?.state === 'delivered' ? again : undefined,
    );
    await until('the notification', () => subscriber.received.find(accepted(partner.id)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(subscriber.received.filter(accepted(partner.id))).toHaveLength(1);
  } finally {
    await subscriber.stop();
  }
});

test('a subscriber that is down gets the notification when it is back, also across a host kill', async () => {
  const subscriber = new Subscriber();
  await subscriber.start();
  try {
    const partner = await sharedReferral();
    await subscribe(subscriber, partner.engagementId as string);
    subscriber.down = true;
    expect(sandbox().actAsMicrosoft(partner.id, 'accept').status).toBe(200);
    await until('a failed attempt', () => (subscriber.attempts > 0 ? true : undefined));
    // Received, not yet delivered: the host dies.
    await product.killAndRestart();
    subscriber.down = false;
    const notification = await until(
      'the notification after the restart',
      () => subscriber.received.find(accepted(partner.id)),
      60000,
    );
    expect(notification.referral.substatus).toBe('Accepted');
    expect(subscriber.received.filter(accepted(partner.id))).toHaveLength(1);
  } finally {
    await subscriber.stop();
  }
});
