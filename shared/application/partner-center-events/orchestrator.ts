/**
 * One Partner Center event, processed durably: read the referral and record the change, find the
 * subscriptions it is for, and deliver in rounds (everyone at once, then only those that failed,
 * after a durable timer) until each got it or the attempts are used up. Deterministic: no clock,
 * randomness or I/O here.
 */
import type * as df from 'durable-functions';
import { RetryOptions, type OrchestrationContext } from 'durable-functions';
import { createLogger } from '../../logging';
import {
  DELIVER_ACTIVITY,
  EVENT_ORCHESTRATION,
  deliveryDelayMs,
  MATCH_SUBSCRIPTIONS_ACTIVITY,
  RECORD_CHANGE_ACTIVITY,
  type DeliverInput,
  type DeliverOutcome,
  type EventInput,
  type EventOutcome,
  type MatchInput,
  type RecordedChange,
} from './flow';

/** Reading the referral may meet a Partner Center outage: tried again for about ten minutes. */
function readRetryOptions(): RetryOptions {
  const options = new RetryOptions(5000, 8);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = 5 * 60 * 1000;
  return options;
}

export function* partnerCenterEventOrchestrator(
  context: OrchestrationContext,
): Generator<df.Task, EventOutcome, unknown> {
  const input = context.df.getInput() as EventInput;
  let change: RecordedChange;
  try {
    change = (yield context.df.callActivityWithRetry(
      RECORD_CHANGE_ACTIVITY,
      readRetryOptions(),
      input,
    )) as RecordedChange;
  } catch (error) {
    // The referral could not be read, retries included: the event is parked (the instance
    // fails, an operator re-drives it). Logged once, not at every replay.
    if (!context.df.isReplaying) {
      createLogger(context, { operation: EVENT_ORCHESTRATION }).error('partnerCenterEvent.parked', {
        eventId: input.eventId,
        eventName: input.eventName,
        referralId: input.referralId,
      });
    }
    throw error;
  }
  const outcome: EventOutcome = {
    eventId: input.eventId,
    referralId: input.referralId,
    notified: 0,
    parked: 0,
    referralFound: change.referral !== undefined,
  };
  if (!change.referral) return outcome;
  const match: MatchInput = { eventName: input.eventName, referral: change.referral };
  let pending =
    input.onlySubscriptions ??
    ((yield context.df.callActivity(MATCH_SUBSCRIPTIONS_ACTIVITY, match)) as string[]);
  const total = pending.length;
  const { maxAttempts, firstDelayMs } = input.delivery;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const last = attempt >= maxAttempts;
    const round: DeliverInput = {
      notification: {
        eventId: input.eventId,
        eventName: input.eventName as DeliverInput['notification']['eventName'],
        occurredAt: input.changedAt,
        referral: change.referral,
      },
      subscriptionIds: pending,
      attempt,
      last,
    };
    pending = ((yield context.df.callActivity(DELIVER_ACTIVITY, round)) as DeliverOutcome).retry;
    if (last) {
      outcome.parked = pending.length;
      break;
    }
    if (pending.length > 0) {
      const due = context.df.currentUtcDateTime.getTime() + deliveryDelayMs(firstDelayMs, attempt);
      yield context.df.createTimer(new Date(due));
    }
  }
  outcome.notified = total - outcome.parked;
  return outcome;
}
