/**
 * What an operator (`Referrals.Admin`) sees and re-drives: shared referral operations running,
 * failed or stuck; Partner Center events whose processing failed; notifications parked after
 * their last attempt. A re-drive takes the path a resend would: the operation or event is started
 * again under its own id with its own input, so finished steps are reused and nothing is created
 * twice; a parked notification is delivered again under its event's id, which receivers use to
 * drop repeats.
 */
import type { SubscriptionStore } from '../adapters/storage/subscription-store';
import { errorBody, Failure } from '../contract/errors';
import type { Delivery } from '../contract/subscription';
import type { Logger } from '../logging';
import { eventInstanceId, type EventInput } from './partner-center-events/flow';
import type { SharedReferralInput, SharedReferralProgress } from './shared-referral/flow';
import { RESTARTABLE, type Instances, type ListedInstance } from './shared-referral/operations';

export const OPERATION_STATES = ['running', 'failed', 'stuck'] as const;
export type OperationStateFilter = (typeof OPERATION_STATES)[number];

export interface AdminOperation {
  operationId: string;
  state: 'running' | 'failed' | 'stuck';
  step?: string;
  engagementId?: string;
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
  ageMinutes: number;
}

const RUNNING = ['Running', 'Pending'];
const FAILED = ['Failed', 'Terminated'];

function listOf<I>(instances: Instances<I>): NonNullable<Instances<I>['list']> {
  if (!instances.list) throw new Error('these orchestration instances cannot be listed');
  return instances.list.bind(instances);
}

function errorOf(progress: SharedReferralProgress | undefined) {
  const failure = progress?.failure;
  if (!failure) return undefined;
  return failure.source === 'partnerCenter'
    ? {
        code: failure.failure.code ?? failure.failure.kind,
        message: failure.failure.message ?? `Partner Center ${failure.failure.kind}`,
      }
    : { code: failure.error.code, message: failure.error.message };
}

function adminView(instance: ListedInstance, stuck: boolean, now: number): AdminOperation {
  const progress = instance.customStatus as SharedReferralProgress | undefined;
  const error = errorOf(progress);
  return {
    operationId: instance.instanceId,
    state: FAILED.includes(instance.runtimeStatus) ? 'failed' : stuck ? 'stuck' : 'running',
    ...(progress?.step ? { step: progress.step } : {}),
    ...(progress?.engagementId ? { engagementId: progress.engagementId } : {}),
    ...(error ? { error } : {}),
    createdAt: instance.createdTime.toISOString(),
    updatedAt: instance.lastUpdatedTime.toISOString(),
    ageMinutes: Math.floor((now - instance.createdTime.getTime()) / 60000),
  };
}

/** Operations in a state; `stuck`: running and unchanged for longer than `stuckAfterMs`. */
export async function listOperations(
  operations: Instances<SharedReferralInput>,
  state: OperationStateFilter,
  stuckAfterMs: number,
  now = Date.now(),
): Promise<AdminOperation[]> {
  const found = await listOf(operations)(state === 'failed' ? FAILED : RUNNING);
  const isStuck = (i: ListedInstance) => now - i.lastUpdatedTime.getTime() > stuckAfterMs;
  return found
    .filter((i) => state !== 'stuck' || isStuck(i))
    .map((i) => adminView(i, state !== 'failed' && isStuck(i), now))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

const cannotRedrive = (what: string, status: string) =>
  new Failure(
    'conflict',
    errorBody(
      'notRedrivable',
      `The ${what} is ${status.toLowerCase()}: only a failed one is started again.`,
      'id',
    ),
  );

/** Starts a failed instance again with its own input; what it finished stays finished. */
async function restart<I>(
  instances: Instances<I>,
  instanceId: string,
  what: string,
): Promise<void> {
  const status = await instances.status(instanceId);
  if (!status) {
    throw new Failure(
      'notFound',
      errorBody(`${what}NotFound`, `There is no ${what} with this id (or it was purged).`, 'id'),
    );
  }
  if (!RESTARTABLE.has(status.runtimeStatus)) throw cannotRedrive(what, status.runtimeStatus);
  await instances.start(instanceId, status.input as I);
}

export async function redriveOperation(
  operations: Instances<SharedReferralInput>,
  operationId: string,
  log: Logger,
): Promise<void> {
  await restart(operations, operationId, 'operation');
  log.warn('operation.redriven', { operationId });
}

export interface ParkedWork {
  /** Events whose processing failed (the referral could not be read, after its retries). */
  events: { eventId: string; eventName: string; referralId: string; failedAt: string }[];
  /** Notifications parked after their last attempt, with why. */
  notifications: (Delivery & { subscriptionId: string })[];
}

export async function listParked(
  events: Instances<EventInput>,
  subscriptions: Pick<SubscriptionStore, 'list' | 'deliveries'>,
): Promise<ParkedWork> {
  const failed = await listOf(events)(FAILED);
  const notifications: ParkedWork['notifications'] = [];
  for (const subscription of await subscriptions.list()) {
    for (const delivery of await subscriptions.deliveries(subscription.id, 100)) {
      if (delivery.state === 'parked')
        notifications.push({ ...delivery, subscriptionId: subscription.id });
    }
  }
  return {
    events: failed.map((i) => {
      const input = i.input as EventInput;
      return {
        eventId: input.eventId,
        eventName: input.eventName,
        referralId: input.referralId,
        failedAt: i.lastUpdatedTime.toISOString(),
      };
    }),
    notifications,
  };
}

export async function redriveEvent(
  events: Instances<EventInput>,
  eventId: string,
  log: Logger,
): Promise<void> {
  await restart(events, eventInstanceId(eventId), 'event');
  log.warn('partnerCenterEvent.redriven', { eventId });
}

/**
 * Delivers a parked notification again: the event's processing runs once more for this one
 * subscription (the referral read afresh), under the event's id.
 */
export async function redriveNotification(
  events: Instances<EventInput>,
  subscriptions: Pick<SubscriptionStore, 'get' | 'delivery'>,
  subscriptionId: string,
  eventId: string,
  log: Logger,
): Promise<void> {
  const delivery = await subscriptions.delivery(subscriptionId, eventId);
  if (!delivery || !(await subscriptions.get(subscriptionId))) {
    throw new Failure(
      'notFound',
      errorBody('deliveryNotFound', 'There is no such delivery of a subscription.', 'id'),
    );
  }
  if (delivery.state !== 'parked') throw cannotRedrive('delivery', delivery.state);
  const original = await events.status(eventInstanceId(eventId));
  if (!original?.input) {
    throw new Failure(
      'notFound',
      errorBody(
        'eventNotFound',
        'The event was purged; its notification cannot be sent again.',
        'id',
      ),
    );
  }
  const input: EventInput = {
    ...(original.input as EventInput),
    onlySubscriptions: [subscriptionId],
  };
  const attempt = `${eventInstanceId(eventId)}-to-${subscriptionId}-${delivery.attempts}`;
  try {
    await events.start(attempt, input);
  } catch (error) {
    // Re-driven already (the same parked attempt): that run delivers it.
    if (!(await events.status(attempt))) throw error;
  }
  log.warn('notification.redriven', { eventId, subscriptionId });
}
