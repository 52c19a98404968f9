/**
 * The operator's view, end to end through the local host: a shared referral failed by the sandbox
 * is listed and re-driven to completion with exactly two referrals; a notification parked after
 * its last attempt is listed and delivered when re-driven.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Referral } from '../../shared/contract/schema';
import { entraToken } from '../support/entra-tokens';
import { seedRequest } from '../support/seed';
import { startProduct, type ProductFixture } from '../support/local-host';

jest.setTimeout(120000);

let product: ProductFixture;
let admin: Record<string, string>;

beforeAll(async () => {
  product = await startProduct({
    SHARED_STEP_MAX_ATTEMPTS: '2',
    SHARED_STEP_RETRY_MS: '200',
    NOTIFICATION_MAX_ATTEMPTS: '2',
    NOTIFICATION_RETRY_MS: '200',
  });
  admin = {
    authorization: `Bearer ${await entraToken(product.local.identity, { roles: ['Referrals.Admin'] })}`,
  };
  product.local.sandbox.webhooks.retryMs = 200;
  product.local.sandbox.webhooks.registration = {
    SubscriberId: randomUUID(),
    WebhookUrl: `${product.url}/api/partner-center/events`,
    WebhookEvents: ['referral-updated'],
  };
});
afterAll(async () => {
  await product?.stop();
});

const json = { 'content-type': 'application/json' };

async function follow(location: string) {
  for (let i = 0; i < 300; i++) {
    const answer = await product.request('GET', location);
    if (answer.status !== 202) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('still running');
}

test('a failed shared referral is listed, re-driven by an operator, and completes with exactly two referrals', async () => {
  const sandbox = product.local.sandbox;
  // Microsoft's step (the second create) keeps failing.
  sandbox.injectFault({
    fault: { kind: 'status', status: 503 },
    method: 'POST',
    skip: 1,
    times: 1000,
  });
  const request = { ...seedRequest(), externalReferenceId: `ops-${randomUUID()}` };
  const accepted = await product.request('POST', '/api/referrals', {
    body: JSON.stringify(request),
    headers: { ...json, 'idempotency-key': randomUUID() },
  });
  const location = accepted.headers.get('location') as string;
  expect((await follow(location)).status).toBe(502);
  const operationId = location.split('/').pop() as string;

  // Operators only: a flow's token is not enough.
  const flow = await entraToken(product.local.identity, {
    roles: ['Referrals.Create', 'Referrals.Read', 'Referrals.Read.All'],
  });
  const asFlow = { authorization: `Bearer ${flow}` };
  expect(
    (await product.request('GET', '/api/operations?state=failed', { headers: asFlow })).status,
  ).toBe(403);
  const failed = await product.request('GET', '/api/operations?state=failed', { headers: admin });
  expect(failed.status).toBe(200);
  const listed = (failed.body as { value: { operationId: string }[] }).value.find(
    (o) => o.operationId === operationId,
  );
  expect(listed).toMatchObject({
    state: 'failed',
    step: expect.any(String),
    error: { code: expect.any(String) },
    ageMinutes: expect.any(Number),
  });

  sandbox.clearFaults();
  const redriven = await product.request('POST', `/api/operations/${operationId}/redrive`, {
    headers: admin,
  });
  expect(redriven.status).toBe(202);
  const done = await follow(location);
  expect(done.status).toBe(201);
  const { engagementId } = done.body as { engagementId: string };
  const onEngagement = (await product.sandboxReferrals()).filter(
    (r) => r.engagementId === engagementId,
  );
  expect(onEngagement).toHaveLength(2);
  // Re-driving a completed operation is refused, naming why.
  const again = await product.request('POST', `/api/operations/${operationId}/redrive`, {
    headers: admin,
  });
  expect(again.status).toBe(409);
  expect(product.output.join('\n')).toMatch(/operation\.redriven/);
});

test('a parked notification is listed and delivered when re-driven', async () => {
  let down = true;
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      if (down) return void res.writeHead(503).end();
      received.push(text);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const accepted = await product.request('POST', '/api/referrals', {
      body: JSON.stringify({ ...seedRequest(), externalReferenceId: `ops-${randomUUID()}` }),
      headers: { ...json, 'idempotency-key': randomUUID(), prefer: 'wait=30' },
    });
    const partner = (accepted.body as { partnerReferral: Referral }).partnerReferral;
    const port = (server.address() as AddressInfo).port;
    const subscribed = await product.request('POST', '/api/subscriptions', {
      body: JSON.stringify({
        notificationUrl: `http://127.0.0.1:${port}/flow`,
        events: ['referral-updated'],
        filter: { engagementId: partner.engagementId },
      }),
      headers: json,
    });
    const subscriptionId = (subscribed.body as { id: string }).id;
    expect(product.local.sandbox.actAsMicrosoft(partner.id, 'accept').status).toBe(200);

    let parked: { subscriptionId: string; eventId: string; lastFailure?: string } | undefined;
    for (let i = 0; i < 100 && !parked; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const list = await product.request('GET', '/api/events/parked', { headers: admin });
      parked = (
        list.body as { notifications: { subscriptionId: string; eventId: string }[] }
      ).notifications.find((n) => n.subscriptionId === subscriptionId);
    }
    expect(parked).toMatchObject({ lastFailure: 'HTTP 503' });

    down = false;
    const redriven = await product.request(
      'POST',
      `/api/subscriptions/${subscriptionId}/deliveries/${parked?.eventId ?? ''}/redrive`,
      { headers: admin },
    );
    expect(redriven.status).toBe(202);
    for (let i = 0; i < 100 && received.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0] as string)).toMatchObject({
      eventId: parked?.eventId,
      referral: { id: partner.id, status: 'Active' },
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
