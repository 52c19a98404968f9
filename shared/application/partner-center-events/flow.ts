/**
 * What processing one Partner Center event is made of, as data: the orchestration and activity
 * names, their inputs and outputs, and the wait between delivery rounds. Shared by the receiving
 * route (which starts it), the orchestrator and the activities.
 */
import type { ReceivedEvent } from '../../contract/partner-center-event';
import type { Referral } from '../../contract/schema';
import type { Notification } from '../../contract/subscription';

export const EVENT_ORCHESTRATION = 'partnerCenterEvent';
export const RECORD_CHANGE_ACTIVITY = 'recordReferralChange';
export const MATCH_SUBSCRIPTIONS_ACTIVITY = 'matchSubscriptions';
export const DELIVER_ACTIVITY = 'deliverNotifications';

/** One instance per event: a repeat of the event finds it instead of starting another. */
export const eventInstanceId = (eventId: string) => `event-${eventId}`;

export interface EventInput extends ReceivedEvent {
  referralId: string;
  receivedAt: string;
  /** How deliveries are tried (the settings' when the event was received). */
  delivery: { maxAttempts: number; firstDelayMs: number };
  /** A re-drive of parked notifications: only these subscriptions. */
  onlySubscriptions?: string[];
}

export interface RecordedChange {
  /** The referral as Partner Center has it now; absent when it has none by this id. */
  referral?: Referral;
}

export interface MatchInput {
  eventName: string;
  referral: Referral;
}

export interface DeliverInput {
  notification: Omit<Notification, 'subscriptionId'>;
  subscriptionIds: string[];
  attempt: number;
  /** The last attempt: what still fails is parked. */
  last: boolean;
}

export interface DeliverOutcome {
  /** The subscriptions to try again. */
  retry: string[];
}

export interface EventOutcome {
  eventId: string;
  referralId: string;
  notified: number;
  parked: number;
  referralFound: boolean;
}

/** The wait before delivery round `attempt + 1`: doubling from the first, at most an hour. */
export const deliveryDelayMs = (firstDelayMs: number, attempt: number) =>
  Math.min(firstDelayMs * 2 ** (attempt - 1), 60 * 60 * 1000);
