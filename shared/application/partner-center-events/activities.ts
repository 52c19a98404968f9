/**
 * The work of processing an event, one activity each: read the referral and record the change;
 * find the subscriptions the change is for (their filter, and the read model: a subscriber is
 * told about what it may read); deliver a round of notifications. Activities run at least once:
 * every write here is keyed by the event, and a delivery already made is not made again.
 */
import { attemptLogger } from '../../adapters/partner-center/attempt-log';
import type { PartnerCenterClient } from '../../adapters/partner-center/client';
import {
  checkCallbackUrl,
  postNotification,
  type CallbackPolicy,
} from '../../adapters/notifications/callback';
import type { EngagementStore } from '../../adapters/storage/engagement-store';
import type {
  StoredSubscription,
  SubscriptionStore,
} from '../../adapters/storage/subscription-store';
import { mayRead } from '../../contract/caller';
import { withGatewayLinks, withoutPartnerCenterLinks } from '../../contract/gateway-links';
import { subscriptionMatches, type Delivery, type Notification } from '../../contract/subscription';
import type { Logger } from '../../logging';
import type { DeliverInput, DeliverOutcome, EventInput, MatchInput, RecordedChange } from './flow';

export interface EventActivityDeps {
  partnerCenter: Pick<PartnerCenterClient, 'getReferral'>;
  engagements: Pick<EngagementStore, 'recordChange' | 'ownerOf'>;
  subscriptions: Pick<SubscriptionStore, 'list' | 'get' | 'recordDelivery' | 'delivery'>;
  callbacks: CallbackPolicy;
  /** The gateway's public address, for the referral's own link in a notification. */
  publicBaseUrl?: string;
  fetch?: typeof fetch;
  log: Logger;
  now?: () => Date;
}

export async function recordReferralChange(
  deps: EventActivityDeps,
  input: EventInput,
): Promise<RecordedChange> {
  const referral = await deps.partnerCenter.getReferral(input.referralId, {
    onAttempt: attemptLogger(deps.log),
  });
  if (!referral) {
    deps.log.warn('partnerCenterEvent.referralNotFound', {
      eventId: input.eventId,
      referralId: input.referralId,
    });
    return {};
  }
  await deps.engagements.recordChange({
    referral,
    eventId: input.eventId,
    eventName: input.eventName,
    changedAt: input.changedAt,
  });
  deps.log.info('partnerCenterEvent.recorded', {
    eventId: input.eventId,
    eventName: input.eventName,
    referralId: referral.id,
    // Status/substatus as Partner Center has it now: what the operator's workbook follows.
    outcome: `${referral.status ?? 'None'}/${referral.substatus ?? 'None'}`,
    ...(referral.type ? { referralType: referral.type } : {}),
    ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
  });
  return { referral };
}

/** The subscriptions this change is for: by their filter, and by who may read the referral. */
export async function matchSubscriptions(
  deps: EventActivityDeps,
  input: MatchInput,
): Promise<string[]> {
  const candidates = (await deps.subscriptions.list()).filter((s) =>
    subscriptionMatches(s, input.eventName, input.referral),
  );
  if (candidates.every((s) => s.seesAll)) return candidates.map((s) => s.id);
  const owner = (await deps.engagements.ownerOf(input.referral.id))?.caller;
  return candidates
    .filter((s) => mayRead({ caller: s.caller, seesAll: s.seesAll === true }, owner))
    .map((s) => s.id);
}

/** One round: every subscription of the round at once; those to try again come back. */
export async function deliverNotifications(
  deps: EventActivityDeps,
  input: DeliverInput,
): Promise<DeliverOutcome> {
  const results = await Promise.all(
    input.subscriptionIds.map(async (id) => ({ id, again: await deliverOne(deps, input, id) })),
  );
  return { retry: results.filter((r) => r.again).map((r) => r.id) };
}

/** True when the delivery should be tried again. */
async function deliverOne(
  deps: EventActivityDeps,
  input: DeliverInput,
  subscriptionId: string,
): Promise<boolean> {
  const { eventId } = input.notification;
  const fields = { eventId, subscriptionId };
  const subscription = await deps.subscriptions.get(subscriptionId);
  if (!subscription) return false; // unsubscribed meanwhile: nothing to deliver
  if ((await deps.subscriptions.delivery(subscriptionId, eventId))?.state === 'delivered') {
    return false; // an activity run again after it had delivered
  }
  const record = (state: Delivery['state'], lastFailure?: string) =>
    deps.subscriptions.recordDelivery(subscriptionId, {
      eventId,
      eventName: input.notification.eventName,
      referralId: input.notification.referral.id,
      state,
      attempts: input.attempt,
      lastAttemptAt: (deps.now?.() ?? new Date()).toISOString(),
      ...(lastFailure ? { lastFailure } : {}),
    });
  const target = await checkCallbackUrl(subscription.notificationUrl, deps.callbacks);
  const result = target.ok
    ? await postNotification(
        target.url.href,
        notificationFor(deps, subscription, input),
        { 'x-event-id': eventId },
        deps.fetch ? { fetch: deps.fetch } : {},
      )
    : { ok: false as const, failure: `refused address: ${target.problem}`, retryable: false };
  if (result.ok) {
    await record('delivered');
    deps.log.info('notification.delivered', { ...fields, attempt: input.attempt });
    return false;
  }
  const parked = input.last || !result.retryable;
  await record(parked ? 'parked' : 'retrying', result.failure);
  if (parked) deps.log.error('notification.parked', { ...fields, reason: result.failure });
  else deps.log.warn('notification.failed', { ...fields, reason: result.failure });
  return !parked;
}

function notificationFor(
  deps: EventActivityDeps,
  subscription: StoredSubscription,
  input: DeliverInput,
): Notification {
  const base = deps.publicBaseUrl?.replace(/\/+$/, '');
  const referral = base
    ? withGatewayLinks(input.notification.referral, (path) => `${base}${path}`)
    : withoutPartnerCenterLinks(input.notification.referral);
  return { ...input.notification, subscriptionId: subscription.id, referral };
}
