/** The referral routes: create (exactly once) and read. */
import { errorEnvelope, GatewayError } from '../errors';
import type { GatewayHandler } from '../http/handler';
import { readJsonBody } from '../http/json-body';
import { jsonResponse } from '../http/responses';
import { attemptLogger } from '../partner-center/attempt-log';
import { validateReferralCreateRequest } from '../referral/validate';
import { getServices, type Services } from '../services';
import { createReferralOnce } from './create-referral';
import { idempotencyKeyFor } from './idempotency-key';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const referralLocation = (id: string) => `/api/referrals/${encodeURIComponent(id)}`;

function sharedNotAvailable(): GatewayError {
  return new GatewayError(
    422,
    errorEnvelope(
      'sharedReferralsNotAvailable',
      "Shared referrals (your referral plus a connected one for Microsoft) are not available in this version of the gateway yet. Nothing was created. Send type 'Independent' to create a referral for your own organization.",
      'type',
      [
        {
          path: '$.type',
          code: 'notAvailable',
          message: "'Shared' is not available yet; allowed: Independent",
        },
      ],
    ),
  );
}

export function createReferralRoute(services: () => Services = getServices): GatewayHandler {
  return async (request, { correlationId, log }) => {
    const validated = validateReferralCreateRequest(await readJsonBody(request));
    if (!validated.ok) throw new GatewayError(400, validated.error);
    const referral = validated.value;
    if (referral.type === 'Shared') throw sharedNotAvailable();
    const key = idempotencyKeyFor(request.headers, referral);
    const { partnerCenter, idempotency, idempotencyPolicy, caller } = services();
    const created = await createReferralOnce(
      { partnerCenter, idempotency, policy: idempotencyPolicy, log },
      { referral, key, caller, correlationId },
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
    if (!GUID.test(id)) {
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
