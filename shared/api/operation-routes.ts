/**
 * Shared referral operations over HTTP, in the asynchronous pattern Power Automate follows by
 * itself: 202 with Location and Retry-After while running, then the final answer at Location.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  operationOutcome,
  waitForOperation,
  type OperationFailures,
  type OperationState,
  type Orchestrations,
} from '../application/shared-referral/operations';
import type { Logger } from '../logging';
import { errorBody, Failure } from '../contract/errors';
import { notAGuid } from '../application/read-referrals';
import { mayRead, viewerOf } from '../contract/caller';
import { isGuid } from '../contract/guid';
import type { OperationRunning } from './answer-schemas';
import { engagementPath, operationPath, withGatewayLinks, type Linker } from './links';
import type { GatewayHandler } from './handler';
import { errorResponse, jsonResponse, stepFailureAnswer } from './responses';

export const MAX_PREFER_WAIT_SECONDS = 100;
const POLL_AFTER_SECONDS = 2;

/** `Prefer: wait=N` (RFC 7240) in milliseconds, at most 100 s; 0 when absent. */
export function preferredWaitMs(prefer: string | null): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(prefer ?? '');
  if (!match) return 0;
  return Math.min(Number(match[1]), MAX_PREFER_WAIT_SECONDS) * 1000;
}

/** The answer for an operation in whatever state it is. */
export function operationResponse(
  operationId: string,
  state: OperationState,
  correlationId: string,
  link: Linker,
): HttpResponseInit {
  if (state.state === 'completed') {
    const { partnerReferral, microsoftReferral } = state.output;
    const outcome = {
      ...state.output,
      partnerReferral: withGatewayLinks(partnerReferral, link),
      microsoftReferral: withGatewayLinks(microsoftReferral, link),
    };
    return jsonResponse(201, outcome, correlationId, {
      location: link(engagementPath(state.output.engagementId)),
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
    location: link(operationPath(operationId)),
    'retry-after': String(POLL_AFTER_SECONDS),
  });
}

/** Where an operation's answer comes from. */
export interface OperationSources {
  orchestrations: Orchestrations;
  failures: OperationFailures;
  log: Logger;
}

/** The answer to a shared create: at once (202), or within the caller's `Prefer: wait`. */
export async function followOperation(
  sources: OperationSources,
  operationId: string,
  prefer: string | null,
  correlationId: string,
  link: Linker,
): Promise<HttpResponseInit> {
  const waitMs = preferredWaitMs(prefer);
  const status = await waitForOperation(sources.orchestrations, operationId, waitMs);
  // Just started and not visible yet: it is running.
  const state: OperationState = status
    ? await operationOutcome(operationId, status, sources.failures, sources.log)
    : { state: 'running', operationId, progress: undefined };
  const answer = operationResponse(operationId, state, correlationId, link);
  if (waitMs > 0)
    answer.headers = { ...answer.headers, 'preference-applied': `wait=${waitMs / 1000}` };
  return answer;
}

export function getOperationRoute(
  orchestrationsFor: (context: InvocationContext) => Orchestrations,
): GatewayHandler {
  return async (request, { correlationId, context, link, caller, services, log }) => {
    const operationId = request.params.operationId ?? '';
    if (!isGuid(operationId)) throw notAGuid('invalidOperationId', 'operationId', 'operation id');
    const found = await orchestrationsFor(context).status(operationId);
    // Another caller's operation is answered as no operation at all.
    const owner = (found?.input as { caller?: string } | undefined)?.caller;
    const status = found && mayRead(viewerOf(caller), owner) ? found : undefined;
    if (!status) {
      throw new Failure(
        'notFound',
        errorBody(
          'operationNotFound',
          'There is no shared referral operation with this id.',
          'operationId',
        ),
      );
    }
    const state = await operationOutcome(operationId, status, services().engagements, log);
    return operationResponse(operationId, state, correlationId, link);
  };
}
