/**
 * The operator's routes (`Referrals.Admin`): what is failed, stuck or parked, and re-driving it.
 * Every re-drive is logged with who did it (the caller's ids are on every line of its request).
 */
import type { InvocationContext } from '@azure/functions';
import {
  listOperations,
  listParked,
  OPERATION_STATES,
  redriveEvent,
  redriveNotification,
  redriveOperation,
  type OperationStateFilter,
} from '../application/operations-admin';
import type { EventInput } from '../application/partner-center-events/flow';
import type { SharedReferralInput } from '../application/shared-referral/flow';
import type { Instances } from '../application/shared-referral/operations';
import { errorBody, Failure } from '../contract/errors';
import { isGuid } from '../contract/guid';
import type { GatewayHandler } from './handler';
import { operationPath } from './links';
import { jsonResponse } from './responses';

export interface AdminInstances {
  operations: Instances<SharedReferralInput>;
  events: Instances<EventInput>;
}

export type AdminInstancesFor = (context: InvocationContext) => AdminInstances;

const DEFAULT_STUCK_MINUTES = 30;

function invalid(target: string, message: string): Failure {
  return new Failure('invalidRequest', errorBody('invalidRequest', message, target));
}

function guidParam(value: string | undefined, target: string): string {
  if (!value || !isGuid(value)) throw invalid(target, `The ${target} must be a GUID.`);
  return value;
}

export function listOperationsRoute(instancesFor: AdminInstancesFor): GatewayHandler {
  return async (request, { correlationId, context }) => {
    const state = (request.query.get('state') ?? 'failed') as OperationStateFilter;
    if (!OPERATION_STATES.includes(state)) {
      throw invalid('state', `state must be one of: ${OPERATION_STATES.join(', ')}.`);
    }
    const minutesText = request.query.get('stuckAfterMinutes') ?? String(DEFAULT_STUCK_MINUTES);
    const minutes = Number(minutesText);
    if (!/^\d{1,6}$/.test(minutesText) || minutes < 1) {
      throw invalid(
        'stuckAfterMinutes',
        'stuckAfterMinutes must be a whole number of minutes, 1 or more.',
      );
    }
    const value = await listOperations(instancesFor(context).operations, state, minutes * 60000);
    return jsonResponse(200, { value }, correlationId);
  };
}

export function redriveOperationRoute(instancesFor: AdminInstancesFor): GatewayHandler {
  return async (request, { correlationId, context, log, link }) => {
    const operationId = guidParam(request.params.operationId, 'operationId');
    await redriveOperation(instancesFor(context).operations, operationId, log);
    return jsonResponse(202, { operationId, state: 'running' }, correlationId, {
      location: link(operationPath(operationId)),
    });
  };
}

export function listParkedRoute(instancesFor: AdminInstancesFor): GatewayHandler {
  return async (_request, { correlationId, context, services }) => {
    const parked = await listParked(instancesFor(context).events, services().subscriptions);
    return jsonResponse(200, parked, correlationId);
  };
}

export function redriveEventRoute(instancesFor: AdminInstancesFor): GatewayHandler {
  return async (request, { correlationId, context, log }) => {
    const eventId = guidParam(request.params.eventId, 'eventId');
    await redriveEvent(instancesFor(context).events, eventId, log);
    return jsonResponse(202, { eventId, state: 'running' }, correlationId);
  };
}

export function redriveNotificationRoute(instancesFor: AdminInstancesFor): GatewayHandler {
  return async (request, { correlationId, context, log, services }) => {
    const subscriptionId = guidParam(request.params.subscriptionId, 'subscriptionId');
    const eventId = guidParam(request.params.eventId, 'eventId');
    await redriveNotification(
      instancesFor(context).events,
      services().subscriptions,
      subscriptionId,
      eventId,
      log,
    );
    return jsonResponse(202, { subscriptionId, eventId, state: 'running' }, correlationId);
  };
}
