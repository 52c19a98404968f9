/**
 * Updates a referral exactly once: read it, check the change against it, write it conditional on
 * the ETag read. The write being conditional is what makes repeats harmless: a second application
 * of the same patch finds another ETag and is refused (412), so a patch sent again after an
 * unknown outcome never changes the referral twice; a 412 is then resolved by reading the
 * referral and seeing whether it shows the patch.
 *
 * Repeats of a request (a flow's retry) are recognised by a key: the caller's Idempotency-Key,
 * replayed for as long as records are kept; without one, the patch itself, replayed only while
 * the referral is still as this update left it (a later, deliberate identical update applies).
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import type { PartnerCenterClient } from '../adapters/partner-center/client';
import { PartnerCenterError } from '../adapters/partner-center/errors';
import type { IdempotencyRecord, IdempotencyStore } from '../adapters/storage/idempotency-store';
import { callerRecordOf, type CallerRecord, type Viewer } from '../contract/caller';
import { errorBody, Failure, type ErrorDetail } from '../contract/errors';
import { guidNamedBy } from '../contract/guid';
import {
  applyReferralPatch,
  checkUpdatedReferral,
  showsPatch,
  type ReferralPatchOperation,
} from '../contract/referral-patch';
import type { Referral } from '../contract/schema';
import { validationError } from '../contract/validate';
import type { Logger } from '../logging';
import { MAX_REFERRAL_JSON_CHARS, type IdempotencyPolicy } from './create-referral';
import { keyReused, type IdempotencyKey } from './idempotency-key';
import { readReferral, type ReadDeps } from './read-referrals';

export interface UpdateReferralDeps {
  partnerCenter: Pick<PartnerCenterClient, 'getReferral' | 'updateReferral'>;
  engagements: ReadDeps['engagements'];
  settled?: ReadDeps['settled'];
  idempotency: IdempotencyStore;
  policy: IdempotencyPolicy;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface UpdateReferralCall extends CallerRecord {
  referralId: string;
  operations: ReferralPatchOperation[];
  /** The caller's If-Match: the ETag its change was based on, if it sent one. */
  ifMatch?: string;
  /** The caller's Idempotency-Key, if it sent one. */
  key?: IdempotencyKey;
  viewer: Viewer;
  correlationId: string;
  /** What the update is, for the logs: `update`, or an action's name. */
  action: string;
  /** A check of the referral as it is, before anything is sent (an action's precondition). */
  precondition?: (current: Referral) => ErrorDetail | undefined;
}

export interface UpdatedReferral {
  referral: Referral;
  /** True when this is the answer to an earlier request with the same key. */
  replayed: boolean;
}

/** What an update's record keeps while it runs: the ETag its write is conditional on. */
interface PendingUpdate {
  ifMatch: string;
}

const preconditionFailed = (message: string) =>
  new Failure('preconditionFailed', errorBody('preconditionFailed', message, 'If-Match'));

const STALE_ETAG =
  'The referral was changed since the ETag you sent (If-Match). Read it again (GET /api/referrals/{id}), apply your change to what it is now, and send the update with its new ETag.';

function hashOf(call: UpdateReferralCall): string {
  return createHash('sha256')
    .update(JSON.stringify([call.referralId, call.operations, call.ifMatch ?? null]))
    .digest('hex');
}

/** The key of this update in the idempotency table, apart from creates' keys. */
function recordKey(call: UpdateReferralCall, hash: string): string {
  return call.key
    ? `update\n${call.referralId}\n${call.key.value}`
    : `update\n${call.referralId}\npatch:${hash}`;
}

export async function updateReferralOnce(
  deps: UpdateReferralDeps,
  call: UpdateReferralCall,
): Promise<UpdatedReferral> {
  const sleep = deps.sleep ?? sleepFor;
  const now = deps.now ?? (() => Date.now());
  const { idempotency, policy, log } = deps;
  const readDeps: ReadDeps = {
    partnerCenter: deps.partnerCenter,
    engagements: deps.engagements,
    log,
    correlationId: call.correlationId,
    viewer: call.viewer,
    ...(deps.settled ? { settled: deps.settled } : {}),
  };
  // The caller's read model first: another caller's referral is not found, not refused.
  let current = await readReferral(readDeps, call.referralId);
  const hash = hashOf(call);
  const key = recordKey(call, hash);
  const fresh = {
    key,
    ...callerRecordOf(call),
    requestHash: hash,
    upstreamRequestId: guidNamedBy(`${call.caller}\n${key}\n${hash}`),
    correlationId: call.correlationId,
    leaseMs: policy.leaseMs,
    ttlMs: policy.ttlMs,
    request: JSON.stringify({
      ifMatch: call.ifMatch ?? current.eTag ?? '',
    } satisfies PendingUpdate),
  };
  const waitUntil = now() + policy.waitMs;
  let reserved = await idempotency.reserve(fresh);
  for (;;) {
    const record = reserved.record;
    if (reserved.reserved) {
      return updateUnder(
        deps,
        call,
        record,
        current,
        call.ifMatch ?? current.eTag ?? undefined,
        false,
      );
    }
    if (record.requestHash !== hash) throw keyReused(call.key as IdempotencyKey);
    if (record.state === 'completed' && record.outcome) {
      const earlier = record.outcome.body as Referral;
      // Without a key, a repeat is one only while the referral is still as the update left it.
      if (call.key || earlier.eTag === current.eTag) {
        log.info('referral.updateReplayed', {
          referralId: call.referralId,
          action: call.action,
          keySource: call.key ? 'header' : 'patch',
        });
        return { referral: earlier, replayed: true };
      }
      await idempotency.remove(record);
    } else if (record.leaseLeftMs <= 0) {
      // Its holder died mid-update: resume with the ETag it wrote under (harmless if it landed).
      const taken = await idempotency.takeOver(record, call.correlationId, policy.leaseMs);
      if (taken) {
        log.warn('referral.updateTakenOver', { referralId: call.referralId, action: call.action });
        const pending = JSON.parse(taken.request ?? '{}') as Partial<PendingUpdate>;
        return updateUnder(deps, call, taken, current, pending.ifMatch || undefined, true);
      }
    } else if (now() + policy.pollMs > waitUntil) {
      throw new Failure(
        'busy',
        errorBody(
          'updateInProgress',
          'The same update is still being applied by an earlier request; send it again shortly to get its answer.',
          call.key ? 'Idempotency-Key' : 'referral',
        ),
        Math.min(10, Math.max(1, Math.ceil(record.leaseLeftMs / 1000))),
      );
    } else {
      await sleep(policy.pollMs);
    }
    const latest = await idempotency.get(call.caller, key);
    if (latest?.state === 'completed' && !call.key)
      current = await readReferral(readDeps, call.referralId);
    reserved = latest ? { reserved: false, record: latest } : await idempotency.reserve(fresh);
  }
}

/**
 * Checks and writes under the reservation; the reservation ends with the outcome. `resumed`: an
 * earlier request held it and may have written already, under `ifMatch`.
 */
async function updateUnder(
  deps: UpdateReferralDeps,
  call: UpdateReferralCall,
  record: IdempotencyRecord,
  current: Referral,
  ifMatch: string | undefined,
  resumed: boolean,
): Promise<UpdatedReferral> {
  const { idempotency, log } = deps;
  const forget = () =>
    idempotency.remove(record).catch(() => log.warn('idempotency.releaseFailed', {}));
  let referral: Referral;
  try {
    if (resumed && current.eTag !== ifMatch && showsPatch(current, call.operations)) {
      // The earlier holder's write landed; only its answer was lost.
      return await finish(deps, call, record, current);
    }
    if (!resumed && call.ifMatch !== undefined && call.ifMatch !== current.eTag) {
      // Known stale before anything is sent: nothing goes upstream.
      throw preconditionFailed(STALE_ETAG);
    }
    const refusal = call.precondition?.(current);
    if (refusal) throw new Failure('invalidRequest', validationError([refusal], 'referral').error);
    const next = applyReferralPatch(current, call.operations);
    const problems = next.ok
      ? checkUpdatedReferral(current, next.value, call.operations)
      : next.details;
    if (problems.length > 0) {
      throw new Failure('invalidRequest', validationError(problems, 'patch').error);
    }
    const chars = next.ok ? JSON.stringify(next.value).length : 0;
    if (chars > MAX_REFERRAL_JSON_CHARS) {
      throw new Failure(
        'tooLarge',
        errorBody(
          'referralTooLarge',
          `The referral would take ${chars} characters as JSON; at most ${MAX_REFERRAL_JSON_CHARS} are taken, because the gateway keeps each referral in one Table Storage entity. Shorten the longest texts.`,
          'patch',
        ),
      );
    }
    if (!ifMatch) {
      throw new Error('Partner Center returned the referral without an eTag to update it by');
    }
    referral = await write(deps, call, ifMatch);
  } catch (error) {
    // Refused (by us or by Partner Center): nothing changed, so the key is free again. Anything
    // else (no answer): the record stays, and the next repeat resumes under the same ETag.
    const refused =
      error instanceof Failure ||
      (error instanceof PartnerCenterError && error.failure.created === 'no');
    if (refused) await forget();
    else await idempotency.release(record).catch(() => log.warn('idempotency.releaseFailed', {}));
    throw error;
  }
  return finish(deps, call, record, referral);
}

/** Keeps the outcome for repeats and says what changed. */
async function finish(
  deps: UpdateReferralDeps,
  call: UpdateReferralCall,
  record: IdempotencyRecord,
  referral: Referral,
): Promise<UpdatedReferral> {
  const { idempotency, log } = deps;
  const outcome = { status: 200, body: referral, referralId: referral.id };
  if (!(await idempotency.complete(record, outcome).catch(() => false))) {
    // The referral is updated; a repeat finds it showing the patch and answers it.
    log.warn('idempotency.outcomeNotRecorded', { referralId: referral.id });
  }
  log.info('referral.updated', {
    referralId: referral.id,
    action: call.action,
    // Which fields, never their values (a team member's contact details are personal data).
    properties: call.operations.map((o) => o.path).join(', '),
    keySource: call.key ? 'header' : 'patch',
  });
  return { referral, replayed: false };
}

/**
 * The conditional write. A 412 means the referral changed since `ifMatch`: by this very update
 * when an earlier attempt landed without its answer reaching us, or by someone else. Reading the
 * referral tells which.
 */
async function write(
  deps: UpdateReferralDeps,
  call: UpdateReferralCall,
  ifMatch: string,
): Promise<Referral> {
  const options = { correlationId: call.correlationId, onAttempt: attemptLogger(deps.log) };
  try {
    const updated = await deps.partnerCenter.updateReferral(call.referralId, call.operations, {
      ...options,
      ifMatch,
    });
    // 204 (Prefer not honoured): the referral as it is now.
    return updated ?? (await readBack(deps, call));
  } catch (error) {
    if (!(error instanceof PartnerCenterError) || error.failure.status !== 412) throw error;
    const now = await readBack(deps, call);
    if (showsPatch(now, call.operations)) {
      deps.log.warn('referral.updateReconciled', {
        referralId: call.referralId,
        action: call.action,
      });
      return now;
    }
    throw preconditionFailed(
      call.ifMatch !== undefined
        ? STALE_ETAG
        : 'The referral was changed by someone else while this update was being applied. Send the update again: it is checked against the referral as it is now.',
    );
  }
}

async function readBack(deps: UpdateReferralDeps, call: UpdateReferralCall): Promise<Referral> {
  const referral = await deps.partnerCenter.getReferral(call.referralId, {
    correlationId: call.correlationId,
    onAttempt: attemptLogger(deps.log),
  });
  if (!referral) {
    throw new Failure(
      'notFound',
      errorBody('referralNotFound', 'Partner Center has no referral with this id.', 'id'),
    );
  }
  return referral;
}
