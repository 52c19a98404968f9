/**
 * Partner Center's webhook events ("Partner Center webhook events", 2023): an event names what
 * happened and the resource's URI, nothing else; the receiver reads the referral itself. An event
 * delivered again is the same event: its id is derived from what it says, so a repeat is
 * recognised however often Partner Center sends it (up to ten attempts).
 */
import * as z from 'zod';
import { guidNamedBy, isGuid } from './guid';

export const REFERRAL_EVENTS = [
  'referral-created',
  'referral-updated',
  'related-referral-created',
  'related-referral-updated',
] as const;
export type ReferralEventName = (typeof REFERRAL_EVENTS)[number];

/** Sent by "validation events" when a registration is tested. */
export const TEST_EVENT = 'test-created';

const PartnerCenterEventSchema = z.looseObject({
  EventName: z.string().min(1).max(128),
  ResourceUri: z.string().min(1).max(2048),
  ResourceName: z.string().max(128).nullable().optional(),
  AuditUri: z.string().max(2048).nullable().optional(),
  ResourceChangeUtcDate: z.string().min(1).max(64),
});

export type PartnerCenterEvent = z.infer<typeof PartnerCenterEventSchema>;

/** What the gateway keeps of an event: enough to process it, nothing of the referral. */
export interface ReceivedEvent {
  eventId: string;
  eventName: string;
  /** The referral the event is about; absent for a test event. */
  referralId?: string;
  changedAt: string;
}

export type EventParse =
  | { ok: true; event: ReceivedEvent; kind: 'referral' | 'test' | 'other' }
  | { ok: false; message: string };

/** A verified body read as an event (property names as Partner Center spells them, any case). */
export function parseEvent(body: Buffer): EventParse {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, message: 'The event is not JSON.' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, message: 'The event must be a JSON object.' };
  }
  const byName = new Map(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
  const parsed = PartnerCenterEventSchema.safeParse(
    Object.fromEntries(
      Object.keys(PartnerCenterEventSchema.shape).map((name) => [
        name,
        byName.get(name.toLowerCase()),
      ]),
    ),
  );
  if (!parsed.success) {
    return {
      ok: false,
      message: `The event lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}.`,
    };
  }
  const { EventName, ResourceUri, ResourceChangeUtcDate } = parsed.data;
  const eventId = guidNamedBy(`event\n${EventName}\n${ResourceUri}\n${ResourceChangeUtcDate}`);
  const base = { eventId, eventName: EventName, changedAt: ResourceChangeUtcDate };
  if (EventName === TEST_EVENT) return { ok: true, event: base, kind: 'test' };
  if (!(REFERRAL_EVENTS as readonly string[]).includes(EventName)) {
    return { ok: true, event: base, kind: 'other' };
  }
  // ".../engagements/v1/referrals/{id}": the id is all the gateway takes from the URI; it reads
  // the referral from the Referrals API it is configured with, never from the URI given.
  const last = ResourceUri.split(/[?#]/)[0]?.split('/').filter(Boolean).pop() ?? '';
  if (!isGuid(last)) return { ok: false, message: 'The event does not name a referral id.' };
  return { ok: true, event: { ...base, referralId: last.toLowerCase() }, kind: 'referral' };
}
