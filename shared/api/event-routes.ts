/**
 * `POST /api/partner-center/events`: where Partner Center delivers its webhook events. No Entra
 * token comes with them: the signature is the proof, checked before anything else. An event that
 * does not verify answers 401 and goes no further; a verified one is accepted durably and
 * acknowledged at once.
 */
import type { InvocationContext } from '@azure/functions';
import type { EventInput } from '../application/partner-center-events/flow';
import { receiveEvent } from '../application/partner-center-events/receive';
import type { Instances } from '../application/shared-referral/operations';
import { errorBody } from '../contract/errors';
import type { GatewayHandler } from './handler';
import { HttpFailure, jsonResponse } from './responses';

/** Partner Center's events are a few hundred bytes. */
const MAX_EVENT_BYTES = 64 * 1024;

export type EventInstancesFor = (context: InvocationContext) => Instances<EventInput>;

export function receivePartnerCenterEventRoute(instancesFor: EventInstancesFor): GatewayHandler {
  return async (request, { correlationId, log, context, services }) => {
    const declared = Number(request.headers.get('content-length') ?? NaN);
    const body =
      Number.isFinite(declared) && declared > MAX_EVENT_BYTES
        ? undefined
        : Buffer.from(await request.arrayBuffer());
    if (!body || body.length > MAX_EVENT_BYTES) {
      throw new HttpFailure(
        413,
        errorBody('payloadTooLarge', `An event is at most ${MAX_EVENT_BYTES} bytes.`, 'request'),
      );
    }
    const { events, notifications } = services();
    const receipt = await receiveEvent(
      { verifier: events, instances: instancesFor(context), notifications, log },
      request.headers,
      body,
      new Date(),
    );
    switch (receipt.kind) {
      case 'refused':
        // One answer whatever failed: the reason is in the logs, not for the sender.
        throw new HttpFailure(
          401,
          errorBody(
            'eventNotVerified',
            'The event is not signed by Partner Center: its signature, certificate or certificate chain did not verify.',
            'Authorization',
          ),
        );
      case 'invalid':
        throw new HttpFailure(400, errorBody('invalidEvent', receipt.message, 'event'));
      case 'ignored':
        return jsonResponse(200, { eventId: receipt.eventId, processed: false }, correlationId);
      case 'accepted':
        return jsonResponse(
          200,
          { eventId: receipt.eventId, processed: true, duplicate: receipt.duplicate },
          correlationId,
        );
    }
  };
}
