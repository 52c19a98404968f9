/**
 * The activities of an event: who is told (filters and the read model), and deliveries that are
 * retried, parked at the end, and never made twice when an activity runs again.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  deliverNotifications,
  matchSubscriptions,
  type EventActivityDeps,
} from '../../../../shared/application/partner-center-events/activities';
import type { DeliverInput } from '../../../../shared/application/partner-center-events/flow';
import type { Referral } from '../../../../shared/contract/schema';
import { createLogger } from '../../../../shared/logging';
import { startLocalGateway, type LocalGateway } from '../../../support/gateway';

let gateway: LocalGateway;
let server: Server;
let url = '';
let answer = 200;
let posts = 0;

beforeAll(async () => {
  gateway = await startLocalGateway();
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts += 1;
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flow`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await gateway.stop();
});

const logs: string[] = [];
const deps = (): EventActivityDeps => ({
  partnerCenter: gateway.services.partnerCenter,
  engagements: gateway.services.engagements,
  subscriptions: gateway.services.subscriptions,
  callbacks: { allowLoopback: true },
  log: createLogger({
    info: (l) => logs.push(String(l)),
    warn: (l) => logs.push(String(l)),
    error: (l) => logs.push(String(l)),
  }),
});

async function subscription(fields: {
  caller: string;
  seesAll?: boolean;
  direction?: 'Incoming' | 'Outgoing';
}) {
  const id = randomUUID();
  await gateway.services.subscriptions.create({
    id,
    caller: fields.caller,
    notificationUrl: url,
    events: ['referral-updated'],
    ...(fields.direction ? { filter: { direction: fields.direction } } : {}),
    createdAt: new Date().toISOString(),
    ...(fields.seesAll ? { seesAll: true } : {}),
  });
  return id;
}

test('a change is for the subscriptions its filter matches, and for those who may read it', async () => {
  const owner = randomUUID();
  const referral: Referral = {
    id: randomUUID(),
    direction: 'Outgoing',
    engagementId: randomUUID(),
  };
  await gateway.services.engagements.recordOwner(referral, { caller: owner });
  const own = await subscription({ caller: owner });
  const all = await subscription({ caller: randomUUID(), seesAll: true });
  const stranger = await subscription({ caller: randomUUID() });
  const incomingOnly = await subscription({ caller: owner, direction: 'Incoming' });
  const matched = await matchSubscriptions(deps(), { eventName: 'referral-updated', referral });
  expect(matched).toEqual(expect.arrayContaining([own, all]));
  expect(matched).not.toContain(stranger);
  expect(matched).not.toContain(incomingOnly);
  const created = await matchSubscriptions(deps(), { eventName: 'referral-created', referral });
  expect(created).not.toContain(own);
});

test('a failed delivery is tried again, parked on the last attempt, and a delivered one is never repeated', async () => {
  const id = await subscription({ caller: randomUUID(), seesAll: true });
  const round = (attempt: number, last: boolean): DeliverInput => ({
    notification: {
      eventId: randomUUID(),
      eventName: 'referral-updated',
      occurredAt: new Date().toISOString(),
      referral: { id: randomUUID() },
    },
    subscriptionIds: [id],
    attempt,
    last,
  });
  answer = 503;
  const failing = round(1, false);
  expect(await deliverNotifications(deps(), failing)).toEqual({ retry: [id] });
  expect(
    await gateway.services.subscriptions.delivery(id, failing.notification.eventId),
  ).toMatchObject({
    state: 'retrying',
    lastFailure: 'HTTP 503',
  });
  const last = { ...failing, attempt: 2, last: true };
  expect(await deliverNotifications(deps(), last)).toEqual({ retry: [] });
  expect(
    await gateway.services.subscriptions.delivery(id, failing.notification.eventId),
  ).toMatchObject({
    state: 'parked',
    attempts: 2,
  });

  answer = 200;
  const ok = round(1, false);
  const before = posts;
  expect(await deliverNotifications(deps(), ok)).toEqual({ retry: [] });
  expect(await deliverNotifications(deps(), ok)).toEqual({ retry: [] });
  expect(posts - before).toBe(1);
  // Contact data stays out of the logs: ids only.
  expect(logs.join('\n')).not.toContain(url);
});
