/**
 * Shared referral operations over HTTP, in the asynchronous pattern Power Automate follows by
 * itself: 202 with Location and Retry-After while running, then the final answer at Location.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  operationState,
  waitForOperation,
  type OperationStatus,
  type Orchestrations,
} from '../application/shared-referral/operations';
import { errorBody, Failure } from '../contract/errors';
import { isGuid } from '../contract/guid';
import type { OperationRunning } from './answer-schemas';
import type { GatewayHandler } from './handler';
import { errorResponse, jsonResponse, stepFailureAnswer } from './responses';

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
  const state = status
    ? operationState(operationId, status)
    : { state: 'running' as const, operationId, progress: undefined };
  if (state.state === 'completed') {
    return jsonResponse(201, state.output, correlationId, {
      location: engagementLocation(state.output.engagementId),
    });
  }
  if (state.state === 'failed')
    return errorResponse(stepFailureAnswer(state.failure), correlationId);
  const running: OperationRunning = {
    operationId,
    state: 'running',
    step: state.progress?.step ?? 'partnerReferral',
    ...(state.progress?.engagementId ? { engagementId: state.progress.engagementId } : {}),
  };
  return jsonResponse(202, running, correlationId, {
    location: operationLocation(operationId),
    'retry-after': String(POLL_AFTER_SECONDS),
  });
}

/** The answer to a shared create: at once (202), or within the caller's `Prefer: wait`. */
export async function followOperation(
  orchestrations: Orchestrations,
  operationId: string,
  prefer: string | null,
  correlationId: string,
): Promise<HttpResponseInit> {
  const waitMs = preferredWaitMs(prefer);
  const status = await waitForOperation(orchestrations, operationId, waitMs);
  const answer = operationResponse(operationId, status, correlationId);
  if (waitMs > 0)
    answer.headers = { ...answer.headers, 'preference-applied': `wait=${waitMs / 1000}` };
  return answer;
}

export function getOperationRoute(
  orchestrationsFor: (context: InvocationContext) => Orchestrations,
): GatewayHandler {
  return async (request, { correlationId, context }) => {
    const operationId = request.params.operationId ?? '';
    const notFound = () =>
      new Failure(
        'notFound',
        errorBody(
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
