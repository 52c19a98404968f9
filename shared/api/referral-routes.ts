/** The referral routes: create (exactly once) and read. */
import { callerRecord } from '../adapters/caller/caller';
import { errorEnvelope, GatewayError } from '../contract/errors';
import type { GatewayHandler } from './handler';
import { isGuid } from '../contract/guid';
import { readJsonBody } from './json-body';
import { jsonResponse } from './responses';
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import { validateReferralCreateRequest } from '../contract/validate';
import { getServices, type Services } from '../../functions/services';
import type { InvocationContext } from '@azure/functions';
import {
  type Orchestrations,
  startSharedReferral,
  waitForOperation,
} from '../application/shared-referral/operations';
import { partnerReferralRequest } from '../application/shared-referral/flow';
import { createReferralOnce } from '../application/create-referral';
import { operationResponse, preferredWaitMs } from './operation-routes';
import { idempotencyKeyFor } from '../application/idempotency-key';

export const referralLocation = (id: string) => `/api/referrals/${encodeURIComponent(id)}`;

/** Where the Durable client comes from: the function's durable client input in Azure. */
export type OrchestrationsFor = (context: InvocationContext) => Orchestrations;

export function createReferralRoute(
  services: () => Services = getServices,
  orchestrationsFor?: OrchestrationsFor,
): GatewayHandler {
  return async (request, { correlationId, log, context, caller }) => {
    const validated = validateReferralCreateRequest(await readJsonBody(request));
    if (!validated.ok) throw new GatewayError(400, validated.error);
    const key = idempotencyKeyFor(request.headers, validated.value);
    const resolved = services();
    if (validated.value.type === 'Shared') {
      if (!orchestrationsFor) throw new Error('shared referrals need a durable client input');
      const referral = partnerReferralRequest(
        validated.value,
        resolved.settings.PARTNER_SOLUTION_PROFILE_ID,
      );
      const orchestrations = orchestrationsFor(context);
      const operationId = await startSharedReferral(orchestrations, log, {
        referral,
        key,
        ...callerRecord(caller),
        correlationId,
        acceptedAt: new Date(),
      });
      const waitMs = preferredWaitMs(request.headers.get('prefer'));
      const status = await waitForOperation(orchestrations, operationId, waitMs);
      const answer = operationResponse(operationId, status, correlationId);
      if (waitMs > 0)
        answer.headers = { ...answer.headers, 'preference-applied': `wait=${waitMs / 1000}` };
      return answer;
    }
    const { partnerCenter, idempotency, idempotencyPolicy } = resolved;
    const created = await createReferralOnce(
      { partnerCenter, idempotency, policy: idempotencyPolicy, log },
      { referral: validated.value, key, ...callerRecord(caller), correlationId },
    );
    log.info('referral.created', {
      referralId: created.referral.id,
      ...(created.referral.engagementId ? { engagementId: created.referral.engagementId } : {}),
      replayed: created.replayed,
      keySource: key?.source ?? 'none',
    });
    return jsonResponse(created.status, created.referral, correlationId, {
      location: referralLocation(created.referral.id),
      ...(created.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  };
}

export function getReferralRoute(services: () => Services = getServices): GatewayHandler {
  return async (request, { correlationId, log }) => {
    const id = request.params.id ?? '';
    if (!isGuid(id)) {
      throw new GatewayError(
        400,
        errorEnvelope('invalidReferralId', 'The referral id must be a GUID.', 'id', [
          {
            path: 'id',
            code: 'invalidFormat',
            message: 'must be a GUID, e.g. 0d8d6bd6-8c5c-4a5e-9a3a-3d2f3f2e8b1c',
          },
        ]),
      );
    }
    const referral = await services().partnerCenter.getReferral(id, {
      correlationId,
      onAttempt: attemptLogger(log),
    });
    if (!referral) {
      throw new GatewayError(
        404,
        errorEnvelope('referralNotFound', `Partner Center has no referral with id '${id}'.`, 'id'),
      );
    }
    return jsonResponse(200, referral, correlationId);
  };
}
