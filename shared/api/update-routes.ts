/**
 * Changing a referral: a JSON Patch (`PATCH /api/referrals/{id}`) and the actions that make the
 * common patches for the caller (close, accept, decline, register a deal). All go through one
 * path: validated, checked against the referral as it is, written once.
 */
import type { HttpRequest } from '@azure/functions';
import { idempotencyKeyHeader } from '../application/idempotency-key';
import { updateReferralOnce } from '../application/update-referral';
import { callerRecord, viewerOf } from '../contract/caller';
import { errorBody, Failure } from '../contract/errors';
import {
  actionPrecondition,
  validateAction,
  type ReferralAction,
} from '../contract/referral-actions';
import { validateReferralPatch, type ReferralPatchOperation } from '../contract/referral-patch';
import type { GatewayHandler, RequestScope } from './handler';
import { readJsonBody } from './json-body';
import { withGatewayLinks } from './links';
import { FORWARDED_UNKNOWN_HEADER, IDEMPOTENCY_KEY_HEADER } from './referral-routes';
import { HttpFailure, jsonResponse } from './responses';

/** An ETag as sent in If-Match: one entity tag, as Partner Center gave it (`*` is not taken). */
function ifMatchOf(request: HttpRequest): string | undefined {
  const value = request.headers.get('if-match')?.trim();
  if (value === undefined) return undefined;
  if (value === '' || value === '*' || value.length > 256 || value.includes(',')) {
    throw new HttpFailure(
      400,
      errorBody(
        'invalidIfMatch',
        'If-Match must be the one ETag of the referral as you read it (its eTag, or the ETag header of GET /api/referrals/{id}); leave it out to update the referral as it is now.',
        'If-Match',
      ),
    );
  }
  return value;
}

async function applyUpdate(
  request: HttpRequest,
  scope: RequestScope,
  operations: ReferralPatchOperation[],
  forwarded: string[],
  action: ReferralAction | 'update',
) {
  const { correlationId, log, caller, services, link } = scope;
  const { partnerCenter, engagements, idempotency, idempotencyPolicy, afterAnswer } = services();
  const ifMatch = ifMatchOf(request);
  const key = idempotencyKeyHeader(request.headers.get(IDEMPOTENCY_KEY_HEADER));
  if (forwarded.length > 0) {
    log.info('referral.unknownPropertiesForwarded', { properties: forwarded.join(', ') });
  }
  const { referral, replayed } = await updateReferralOnce(
    {
      partnerCenter,
      engagements,
      idempotency,
      policy: idempotencyPolicy,
      log,
      settled: (id) => afterAnswer.settled(id),
    },
    {
      referralId: request.params.id ?? '',
      operations,
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(key ? { key } : {}),
      ...callerRecord(caller),
      viewer: viewerOf(caller),
      correlationId,
      action,
      ...(action !== 'update'
        ? { precondition: (current) => actionPrecondition(action, current) }
        : {}),
    },
  );
  return jsonResponse(200, withGatewayLinks(referral, link), correlationId, {
    ...(referral.eTag ? { etag: referral.eTag } : {}),
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    ...(forwarded.length > 0 ? { [FORWARDED_UNKNOWN_HEADER]: forwarded.join(', ') } : {}),
  });
}

/** `PATCH /api/referrals/{id}`: a JSON Patch document of `add` and `replace` operations. */
export function updateReferralRoute(): GatewayHandler {
  return async (request, scope) => {
    const body = await readJsonBody(request);
    const patch = validateReferralPatch(body, scope.services().settings.REFERRAL_POLICY);
    if (!patch.ok) throw new Failure('invalidRequest', patch.error.error);
    return applyUpdate(request, scope, patch.value, patch.forwarded, 'update');
  };
}

/** `POST /api/referrals/{id}/{action}`: one of the common moves, as a patch made here. */
export function referralActionRoute(action: ReferralAction): GatewayHandler {
  return async (request, scope) => {
    const hasBody =
      request.headers.get('content-type') !== null ||
      Number(request.headers.get('content-length') ?? 0) > 0;
    const body = hasBody ? await readJsonBody(request) : undefined;
    const checked = validateAction(action, body, scope.services().settings.REFERRAL_POLICY);
    if (!checked.ok) throw new Failure('invalidRequest', checked.error.error);
    return applyUpdate(request, scope, checked.value, checked.forwarded, action);
  };
}
