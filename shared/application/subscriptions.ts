/**
 * Subscriptions to referral changes (a Power Automate trigger makes one when a flow is saved and
 * deletes it when the flow is): checked before they are kept, read and deleted by the caller that
 * made them (or one that reads everything), with their latest deliveries.
 */
import { randomUUID } from 'node:crypto';
import { checkCallbackUrl, type CallbackPolicy } from '../adapters/notifications/callback';
import type { StoredSubscription, SubscriptionStore } from '../adapters/storage/subscription-store';
import { mayRead, type CallerRecord, type Viewer } from '../contract/caller';
import { errorBody, Failure } from '../contract/errors';
import { REFERRAL_EVENTS } from '../contract/partner-center-event';
import type { Subscription, SubscriptionRequest } from '../contract/subscription';
import { isGuid } from '../contract/guid';
import type { Logger } from '../logging';

export interface SubscriptionDeps {
  subscriptions: SubscriptionStore;
  callbacks: CallbackPolicy;
  log: Logger;
}

/** A notification URL shown back: its origin only (Power Automate's carry a signature). */
const shownUrl = (url: string) => new URL(url).origin;

function answer(stored: StoredSubscription, viewer: Viewer): Subscription {
  return {
    id: stored.id,
    notificationUrl: shownUrl(stored.notificationUrl),
    events: stored.events,
    ...(stored.filter ? { filter: stored.filter } : {}),
    createdAt: stored.createdAt,
    ...(viewer.seesAll ? { caller: stored.caller } : {}),
  };
}

export async function createSubscription(
  deps: SubscriptionDeps,
  request: SubscriptionRequest,
  caller: CallerRecord,
  viewer: Viewer,
): Promise<Subscription> {
  const target = await checkCallbackUrl(request.notificationUrl, deps.callbacks);
  if (!target.ok) {
    throw new Failure(
      'invalidRequest',
      errorBody(
        'invalidNotificationUrl',
        `The notificationUrl ${target.problem}.`,
        'notificationUrl',
        [{ path: '$.notificationUrl', code: 'invalidNotificationUrl', message: target.problem }],
      ),
    );
  }
  const stored: StoredSubscription = {
    id: randomUUID(),
    ...caller,
    notificationUrl: target.url.href,
    events: request.events ?? [...REFERRAL_EVENTS],
    ...(request.filter && Object.keys(request.filter).length > 0 ? { filter: request.filter } : {}),
    createdAt: new Date().toISOString(),
    ...(viewer.seesAll ? { seesAll: true } : {}),
  };
  await deps.subscriptions.create(stored);
  deps.log.info('subscription.created', { subscriptionId: stored.id });
  return answer(stored, viewer);
}

const notFound = () =>
  new Failure(
    'notFound',
    errorBody(
      'subscriptionNotFound',
      'There is no subscription with this id that you may read.',
      'subscriptionId',
    ),
  );

async function mine(
  deps: Pick<SubscriptionDeps, 'subscriptions'>,
  id: string,
  viewer: Viewer,
): Promise<StoredSubscription> {
  if (!isGuid(id)) throw notFound();
  const stored = await deps.subscriptions.get(id);
  if (!stored || !mayRead(viewer, stored.caller)) throw notFound();
  return stored;
}

/** The subscriptions the viewer made (every one for Referrals.Read.All), latest deliveries too. */
export async function listSubscriptions(
  deps: Pick<SubscriptionDeps, 'subscriptions'>,
  viewer: Viewer,
): Promise<Subscription[]> {
  const mine = (await deps.subscriptions.list()).filter((s) => mayRead(viewer, s.caller));
  return Promise.all(
    mine.map(async (stored) => ({
      ...answer(stored, viewer),
      deliveries: await deps.subscriptions.deliveries(stored.id, 5),
    })),
  );
}

export async function readSubscription(
  deps: Pick<SubscriptionDeps, 'subscriptions'>,
  id: string,
  viewer: Viewer,
): Promise<Subscription> {
  const stored = await mine(deps, id, viewer);
  return { ...answer(stored, viewer), deliveries: await deps.subscriptions.deliveries(id) };
}

export async function deleteSubscription(
  deps: SubscriptionDeps,
  id: string,
  viewer: Viewer,
): Promise<void> {
  await mine(deps, id, viewer);
  await deps.subscriptions.delete(id);
  deps.log.info('subscription.deleted', { subscriptionId: id });
}
