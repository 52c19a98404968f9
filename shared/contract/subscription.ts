/**
 * Subscriptions to referral changes, as a Power Automate webhook trigger makes them: the flow's
 * callback URL, the events, an optional filter. A notification carries the event's id (so a
 * receiver can drop a repeat) and the referral as Partner Center has it, not a URI to read.
 */
import * as z from 'zod';
import { isGuid } from './guid';
import { REFERRAL_EVENTS } from './partner-center-event';
import { DIRECTIONS, ReferralSchema, ReferralTypeSchema } from './schema';

const guid = z.string().refine(isGuid, { error: 'must be a GUID' });

export const SubscriptionFilterSchema = z
  .strictObject({
    direction: z.enum(DIRECTIONS).optional().describe('Incoming: sent to you; Outgoing: by you.'),
    type: ReferralTypeSchema.optional().describe('Independent or Shared.'),
    engagementId: guid.optional().describe('Only the referrals of this engagement.'),
  })
  .describe('Which referrals to be told about; absent: every one the caller may read.');

export const SubscriptionRequestSchema = z
  .strictObject({
    notificationUrl: z
      .string()
      .max(2048, { error: 'must be at most 2048 characters' })
      .describe('Where notifications are sent (HTTPS); Power Automate fills it in.'),
    events: z
      .array(z.enum(REFERRAL_EVENTS))
      .min(1, { error: 'must name at least one event' })
      .max(REFERRAL_EVENTS.length)
      .optional()
      .describe('The events to be told about; absent: all four.'),
    filter: SubscriptionFilterSchema.optional(),
  })
  .describe('A subscription to referral changes.');

export type SubscriptionRequest = z.infer<typeof SubscriptionRequestSchema>;
export type SubscriptionFilter = z.infer<typeof SubscriptionFilterSchema>;

export const DeliverySchema = z.object({
  eventId: z.string(),
  eventName: z.string(),
  referralId: z.string(),
  state: z.enum(['delivered', 'retrying', 'parked']),
  attempts: z.number().int(),
  lastAttemptAt: z.string(),
  lastFailure: z
    .string()
    .optional()
    .describe('What the last failed attempt got, e.g. "HTTP 503" or "timeout".'),
});

export type Delivery = z.infer<typeof DeliverySchema>;

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    notificationUrl: z.string().describe('Its origin only: the path may hold a secret.'),
    events: z.array(z.string()),
    filter: SubscriptionFilterSchema.optional(),
    createdAt: z.string(),
    caller: z
      .string()
      .optional()
      .describe('Who subscribed (an Entra object id); shown to Referrals.Read.All only.'),
    deliveries: z.array(DeliverySchema).optional().describe('The latest deliveries, newest first.'),
  })
  .describe('A subscription and its latest deliveries.');

export type Subscription = z.infer<typeof SubscriptionSchema>;

export const NotificationSchema = z
  .object({
    eventId: z
      .string()
      .describe('The same for every delivery of one change: drop a notification already seen.'),
    eventName: z.enum(REFERRAL_EVENTS),
    occurredAt: z.string().describe('When Partner Center says the referral changed.'),
    subscriptionId: z.string(),
    referral: ReferralSchema.describe('The referral as Partner Center has it now.'),
  })
  .describe('A referral was created or updated.');

export type Notification = z.infer<typeof NotificationSchema>;

/** Whether a change of this referral is for this subscription's filter and events. */
export function subscriptionMatches(
  subscription: { events: readonly string[]; filter?: SubscriptionFilter | undefined },
  eventName: string,
  referral: { direction?: string | null; type?: string | null; engagementId?: string | null },
): boolean {
  const filter = subscription.filter ?? {};
  return (
    subscription.events.includes(eventName) &&
    (filter.direction === undefined || filter.direction === referral.direction) &&
    (filter.type === undefined || filter.type === referral.type) &&
    (filter.engagementId === undefined ||
      filter.engagementId.toLowerCase() === referral.engagementId?.toLowerCase())
  );
}
