/**
 * Shared referral operations over HTTP, in the asynchronous pattern Power Automate follows by
 * itself: 202 with Location and Retry-After while running, then the final answer at Location.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { errorEnvelope, GatewayError } from '../contract/errors';
import {
  operationState,
  type OperationState,
  type OperationStatus,
  type Orchestrations,
} from '../application/shared-referral/operations';
import type { GatewayHandler } from './handler';
import { isGuid } from '../contract/guid';
import { errorResponse, jsonResponse } from './responses';
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import { getServices, type Services } from '../../functions/services';

export const MAX_PREFER_WAIT_SECONDS = 100;
const POLL_AFTER_SECONDS = 2;

export const operationLocation = (id: string) => `/api/referrals/operations/${id}`;
export const engagementLocation = (id: string) => `/api/engagements/${encodeURIComponent(id)}`;

/** `Prefer: wait=N` (RFC 7240) in milliseconds, at most 100 s; 0 when absent. */
export function preferredWaitMs(prefer: string | null): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer ?? '');
  if (!match) return 0;
  return Math.min(Number(match[1]), MAX_PREFER_WAIT_SECONDS) * 1000;
}

/** The answer for an operation in whatever state it is. */
export function operationResponse(
  operationId: string,
  status: OperationStatus | undefined,
  correlationId: string,
): HttpResponseInit {
  // Just started and not visible yet: it is running.
  const state: OperationState = status
    ? operationState(operationId, status)
    : { state: 'running', operationId, progress: undefined };
  if (state.state === 'completed') {
    return jsonResponse(201, state.output, correlationId, {
      location: engagementLocation(state.output.engagementId),
    });
  }
  if (state.state === 'failed') {
    return errorResponse(
      new GatewayError(state.failure.status, state.failure.envelope),
      correlationId,
    );
  }
  return jsonResponse(
    202,
    {
      operationId,
      state: 'running',
      step: state.progress?.step ?? 'partnerReferral',
      ...(state.progress?.engagementId ? { engagementId: state.progress.engagementId } : {}),
    },
    correlationId,
    { location: operationLocation(operationId), 'retry-after': String(POLL_AFTER_SECONDS) },
  );
}

export function getOperationRoute(
  orchestrationsFor: (context: InvocationContext) => Orchestrations,
): GatewayHandler {
  return async (request, { correlationId, context }) => {
    const operationId = request.params.operationId ?? '';
    const notFound = () =>
      new GatewayError(
        404,
        errorEnvelope(
          'operationNotFound',
          `There is no shared referral operation with id '${operationId.slice(0, 64)}'.`,
          'operationId',
        ),
      );
    if (!isGuid(operationId)) throw notFound();
    const status = await orchestrationsFor(context).status(operationId);
    if (!status) throw notFound();
    return operationResponse(operationId, status, correlationId);
  };
}

export function getEngagementRoute(services: () => Services = getServices): GatewayHandler {
  return async (request, { correlationId, log }) => {
    const engagementId = request.params.engagementId ?? '';
    const { engagements, partnerCenter } = services();
    const mapping = isGuid(engagementId)
      ? await engagements.getEngagement(engagementId)
      : undefined;
    if (!mapping) {
      throw new GatewayError(
        404,
        errorEnvelope(
          'engagementNotFound',
          `No engagement with id '${engagementId.slice(0, 64)}' was recorded by this gateway.`,
          'engagementId',
        ),
      );
    }
    if (request.query.get('refresh') !== 'true') return jsonResponse(200, mapping, correlationId);
    const referrals = await Promise.all(
      mapping.referrals.map(async (entry) => {
        const current = await partnerCenter.getReferral(entry.referralId, {
          correlationId,
          onAttempt: attemptLogger(log),
        });
        return current
          ? { ...entry, status: current.status, substatus: current.substatus }
          : { ...entry, status: 'notFound' };
      }),
    );
    return jsonResponse(200, { ...mapping, referrals }, correlationId);
  };
}
