/**
 * Receiving a Partner Center event: proven first (nothing unverified goes further), then accepted
 * durably by starting its processing as an orchestration whose id is the event's, and
 * acknowledged. Starting it is one write to the task hub, so Partner Center's delivery waits for
 * that alone, never for the referral to be read or anyone notified; a repeat of the event finds
 * its instance and is acknowledged again without starting another.
 */
import type { EventHeaders, EventVerifier } from '../../adapters/partner-center/event-signature';
import { parseEvent } from '../../contract/partner-center-event';
import type { Logger } from '../../logging';
import type { NotificationPolicy } from '../services';
import { RESTARTABLE, type Instances } from '../shared-referral/operations';
import { eventInstanceId, type EventInput } from './flow';

export interface ReceiveDeps {
  verifier: Pick<EventVerifier, 'verify'>;
  instances: Instances<EventInput>;
  notifications: Pick<NotificationPolicy, 'maxAttempts' | 'firstDelayMs'>;
  log: Logger;
}

export type Receipt =
  | { kind: 'refused' }
  | { kind: 'invalid'; message: string }
  | { kind: 'ignored'; eventId: string }
  | { kind: 'accepted'; eventId: string; duplicate: boolean };

export async function receiveEvent(
  deps: ReceiveDeps,
  headers: EventHeaders,
  body: Buffer,
  receivedAt: Date,
): Promise<Receipt> {
  const { log } = deps;
  const verified = await deps.verifier.verify(headers, body);
  if (!verified.ok) {
    log.warn('partnerCenterEvent.refused', { reason: verified.reason });
    return { kind: 'refused' };
  }
  const parsed = parseEvent(body);
  if (!parsed.ok) {
    log.warn('partnerCenterEvent.invalid', { reason: parsed.message });
    return { kind: 'invalid', message: parsed.message };
  }
  const { event } = parsed;
  const fields = { eventId: event.eventId, eventName: event.eventName };
  if (parsed.kind !== 'referral' || !event.referralId) {
    // A registration's test event, or an event of another kind: acknowledged, nothing to do.
    log.info('partnerCenterEvent.ignored', fields);
    return { kind: 'ignored', eventId: event.eventId };
  }
  const instanceId = eventInstanceId(event.eventId);
  const existing = await deps.instances.status(instanceId);
  if (existing && !RESTARTABLE.has(existing.runtimeStatus)) {
    log.info('partnerCenterEvent.repeated', fields);
    return { kind: 'accepted', eventId: event.eventId, duplicate: true };
  }
  const input: EventInput = {
    ...event,
    referralId: event.referralId,
    receivedAt: receivedAt.toISOString(),
    delivery: {
      maxAttempts: deps.notifications.maxAttempts,
      firstDelayMs: deps.notifications.firstDelayMs,
    },
  };
  try {
    await deps.instances.start(instanceId, input);
  } catch (error) {
    // The same event arriving twice at once: the other delivery started it.
    if (!(await deps.instances.status(instanceId))) throw error;
    log.info('partnerCenterEvent.repeated', fields);
    return { kind: 'accepted', eventId: event.eventId, duplicate: true };
  }
  log.info('partnerCenterEvent.accepted', { ...fields, referralId: event.referralId });
  return { kind: 'accepted', eventId: event.eventId, duplicate: false };
}
