/** The referral routes: create (an independent referral exactly once, or start a shared one) and read. */
import type { InvocationContext } from '@azure/functions';
import { callerRecord, viewerOf } from '../contract/caller';
import {
  createReferralOnce,
  followCreate,
  MAX_REFERRAL_JSON_CHARS,
  type CreateOutcome,
} from '../application/create-referral';
import { idempotencyKeyFor } from '../application/idempotency-key';
import { readReferral } from '../application/read-referrals';
import { partnerReferralRequest } from '../application/shared-referral/flow';
import {
  startSharedReferral,
  type Orchestrations,
} from '../application/shared-referral/operations';
import { errorBody, Failure } from '../contract/errors';
import { validateReferralCreateRequest } from '../contract/validate';
import type { HttpResponseInit } from '@azure/functions';
import type { Logger } from '../logging';
import type { CreateRunning } from './answer-schemas';
import type { GatewayHandler } from './handler';
import { readJsonBody } from './json-body';
import { followOperation, operationResponse, preferredWaitMs } from './operation-routes';
import { createRequestPath, referralPath, withGatewayLinks, type Linker } from './links';
import { HttpFailure, jsonResponse } from './responses';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Names the properties the contract does not know that were forwarded as sent. */
export const FORWARDED_UNKNOWN_HEADER = 'forwarded-unknown-properties';

/** Where the Durable client comes from: the function's durable client input in Azure. */
export type OrchestrationsFor = (context: InvocationContext) => Orchestrations;

export function createReferralRoute(orchestrationsFor: OrchestrationsFor): GatewayHandler {
  return async (request, { correlationId, log, context, caller, services, link }) => {
    const body = await readJsonBody(request);
    const {
      settings,
      partnerCenter,
      idempotency,
      idempotencyPolicy,
      engagements,
      stepRetry,
      afterAnswer,
    } = services();
    const validated = validateReferralCreateRequest(body, settings.REFERRAL_POLICY);
    if (!validated.ok) throw new Failure('invalidRequest', validated.error.error);
    const storedChars = JSON.stringify(validated.value).length;
    if (storedChars > MAX_REFERRAL_JSON_CHARS) {
      throw new HttpFailure(
        413,
        errorBody(
          'referralTooLarge',
          `The referral takes ${storedChars} characters as JSON (control characters escaped); at most ${MAX_REFERRAL_JSON_CHARS} are taken, because the gateway keeps each referral in one Table Storage entity. Shorten the longest texts.`,
          'request',
        ),
      );
    }
    const key = idempotencyKeyFor(request.headers.get(IDEMPOTENCY_KEY_HEADER), validated.value);
    // New Microsoft fields go through; the caller and the logs hear their names (never values).
    const forwarded = validated.forwarded.length > 0 ? validated.forwarded.join(', ') : undefined;
    if (forwarded) log.info('referral.unknownPropertiesForwarded', { properties: forwarded });
    const forwardedHeader: Record<string, string> = forwarded
      ? { [FORWARDED_UNKNOWN_HEADER]: forwarded }
      : {};
    if (validated.value.type === 'Shared') {
      const referral = partnerReferralRequest(
        validated.value,
        settings.PARTNER_SOLUTION_PROFILE_ID,
      );
      const orchestrations = orchestrationsFor(context);
      const claims = { store: idempotency, policy: idempotencyPolicy };
      const { operationId, joined } = await startSharedReferral(orchestrations, claims, log, {
        referral,
        key,
        ...callerRecord(caller),
        correlationId,
        acceptedAt: new Date(),
        retry: stepRetry,
      });
      const prefer = request.headers.get('prefer');
      // Just started, with no wait asked for: it is running, and reading it back would only
      // say so (one round trip to the Durable extension saved).
      const answer =
        joined || preferredWaitMs(prefer) > 0
          ? await followOperation(
              { orchestrations, failures: engagements, log },
              operationId,
              prefer,
              correlationId,
              link,
            )
          : operationResponse(
              operationId,
              { state: 'running', operationId, progress: undefined },
              correlationId,
              link,
            );
      answer.headers = {
        ...answer.headers,
        ...forwardedHeader,
        // A repeat of an earlier request with this key: its operation, as for independent ones.
        ...(joined ? { 'idempotent-replayed': 'true' } : {}),
      };
      return answer;
    }
    const outcome = await createReferralOnce(
      {
        partnerCenter,
        idempotency,
        owners: engagements,
        policy: idempotencyPolicy,
        log,
        afterAnswer,
      },
      { referral: validated.value, key, ...callerRecord(caller), correlationId },
    );
    const answer = createAnswer(outcome, correlationId, link, log, key?.source ?? 'none');
    answer.headers = { ...answer.headers, ...forwardedHeader };
    return answer;
  };
}

/** A create's answer: 201 with the referral, or 202 with where to poll while it still runs. */
function createAnswer(
  outcome: CreateOutcome,
  correlationId: string,
  link: Linker,
  log: Logger,
  keySource: string,
): HttpResponseInit {
  if (outcome.kind === 'pending') {
    const running: CreateRunning = { requestId: outcome.token, state: 'running' };
    return jsonResponse(202, running, correlationId, {
      location: link(createRequestPath(outcome.token)),
      'retry-after': String(outcome.retryAfterSeconds),
    });
  }
  const { referral, replayed } = outcome;
  log.info('referral.created', {
    referralId: referral.id,
    ...(referral.type ? { referralType: referral.type } : {}),
    ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
    replayed,
    keySource,
  });
  return jsonResponse(outcome.status, withGatewayLinks(referral, link), correlationId, {
    location: link(referralPath(referral.id)),
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
}

/**
 * `GET /api/referrals/requests/{requestId}`: a create that a repeat was told to poll (202),
 * followed to its answer; the request holding it died, it is finished here.
 */
export function followCreateRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, link, caller }) => {
    const token = request.params.requestId ?? '';
    const { partnerCenter, idempotency, engagements, idempotencyPolicy } = services();
    const outcome = /^[0-9a-f]{64}$/.test(token)
      ? await followCreate(
          { partnerCenter, idempotency, owners: engagements, policy: idempotencyPolicy, log },
          { ...callerRecord(caller), correlationId },
          token,
        )
      : undefined;
    if (!outcome) {
      throw new Failure(
        'notFound',
        errorBody(
          'createRequestNotFound',
          'There is no running create with this id: it ended without a referral (its first answer said why) or expired. Send the request again.',
          'requestId',
        ),
      );
    }
    return createAnswer(outcome, correlationId, link, log, 'header');
  };
}

export function getReferralRoute(): GatewayHandler {
  return async (request, { correlationId, log, services, link, caller }) => {
    const { partnerCenter, engagements, afterAnswer } = services();
    const referral = await readReferral(
      {
        partnerCenter,
        engagements,
        log,
        correlationId,
        viewer: viewerOf(caller),
        settled: (id) => afterAnswer.settled(id),
      },
      request.params.id ?? '',
    );
    return jsonResponse(200, withGatewayLinks(referral, link), correlationId);
  };
}
