/**
 * Subscriptions to referral changes: what a Power Automate webhook trigger calls when a flow is
 * saved (`POST`, answered 201 with the `Location` it later deletes) and when it is removed.
 */
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
  readSubscription,
} from '../application/subscriptions';
import { callerRecord, viewerOf } from '../contract/caller';
import { Failure } from '../contract/errors';
import { SubscriptionRequestSchema } from '../contract/subscription';
import { detailFromIssue, validationError } from '../contract/validate';
import type { GatewayHandler } from './handler';
import { readJsonBody } from './json-body';
import { jsonResponse } from './responses';

export const subscriptionPath = (id: string) => `/api/subscriptions/${encodeURIComponent(id)}`;

export function createSubscriptionRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, caller, link }) => {
    const parsed = SubscriptionRequestSchema.safeParse(await readJsonBody(request), {
      reportInput: true,
    });
    if (!parsed.success) {
      throw new Failure(
        'invalidRequest',
        validationError(parsed.error.issues.map(detailFromIssue), 'subscription').error,
      );
    }
    const { subscriptions, notifications } = services();
    const subscription = await createSubscription(
      { subscriptions, callbacks: notifications.callbacks, log },
      parsed.data,
      callerRecord(caller),
      viewerOf(caller),
    );
    return jsonResponse(201, subscription, correlationId, {
      location: link(subscriptionPath(subscription.id)),
    });
  };
}

export function listSubscriptionsRoute(): GatewayHandler {
  return async (_request, { correlationId, services, caller }) => {
    const value = await listSubscriptions(
      { subscriptions: services().subscriptions },
      viewerOf(caller),
    );
    return jsonResponse(200, { value }, correlationId);
  };
}

export function getSubscriptionRoute(): GatewayHandler {
  return async (request, { correlationId, services, caller }) => {
    const { subscriptions } = services();
    const subscription = await readSubscription(
      { subscriptions },
      request.params.subscriptionId ?? '',
      viewerOf(caller),
    );
    return jsonResponse(200, subscription, correlationId);
  };
}

export function deleteSubscriptionRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, caller }) => {
    const { subscriptions, notifications } = services();
    await deleteSubscription(
      { subscriptions, callbacks: notifications.callbacks, log },
      request.params.subscriptionId ?? '',
      viewerOf(caller),
    );
    return { status: 204, headers: { 'x-correlation-id': correlationId } };
  };
}
