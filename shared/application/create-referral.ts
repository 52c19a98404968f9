/**
 * Creates an independent referral exactly once per idempotency key.
 *
 * The key is reserved in Table Storage before Partner Center is called, with the upstream
 * `request-id` derived from the key and the request stored in the reservation. Whoever holds the reservation calls Partner Center with
 * that `request-id` and stores the outcome; repeats replay it. If the holder dies midway, its
 * lease runs out and the next repeat takes over and re-sends with the *same* `request-id`, as the
 * Partner Center docs ask of a retry: the key is never stranded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { callerRecordOf, type CallerRecord } from '../contract/caller';
import { guidNamedBy } from '../contract/guid';
import { PartnerCenterError } from '../adapters/partner-center/errors';
import type { Logger } from '../logging';
import { attemptLogger } from '../adapters/partner-center/attempt-log';
import type { CallOptions } from '../adapters/partner-center/client';
import type { Referral, ReferralCreateRequest } from '../contract/schema';
import type { IdempotencyRecord, IdempotencyStore } from '../adapters/storage/idempotency-store';
import { awaitWrites, type AfterAnswer } from './after-answer';
import { keyReused, type IdempotencyKey } from './idempotency-key';
import { findCreated, sendSettled, type ReferralLister } from './reconcile';

export interface ReferralCreator {
  createReferral(
    referral: ReferralCreateRequest,
    options?: CallOptions,
  ): Promise<{ referral: Referral; requestId: string }>;
}

export interface IdempotencyPolicy {
  /** How long a reservation is presumed alive; must outlast a whole Partner Center call. */
  leaseMs: number;
  /** How long records are kept (30 days by default). */
  ttlMs: number;
  /** How long a repeat waits for an in-flight first request before answering 409. */
  waitMs: number;
  /** How often a waiting repeat looks again. */
  pollMs: number;
  /** The assumed longest time a new referral takes to show in lists (see reconcile.ts). */
  listDelayMs: number;
}

/** Who created which referral, for the read model, and under which request (its claim). */
export interface ReferralOwners {
  recordOwner(
    referral: Pick<Referral, 'id' | 'engagementId'>,
    owner: CallerRecord,
    claim?: string,
  ): Promise<void>;
  /** The request a referral was recorded under, if any. */
  claimOf(referralId: string): Promise<string | undefined>;
}

export interface CreateReferralDeps {
  partnerCenter: ReferralCreator & ReferralLister;
  owners: ReferralOwners;
  idempotency: IdempotencyStore;
  policy: IdempotencyPolicy;
  log: Logger;
  /** The writes after a new referral, done after the answer (default: before it). */
  afterAnswer?: AfterAnswer;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface CreateReferralCall extends CallerRecord {
  referral: ReferralCreateRequest;
  key: IdempotencyKey | undefined;
  correlationId: string;
}

export interface CreatedReferral {
  status: number;
  referral: Referral;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

/**
 * The largest referral the gateway takes, as JSON (control characters escaped, as stored): the
 * referral Partner Center returns is kept in one Table Storage entity (idempotency outcome, step
 * record), which Azure limits to 1 MiB of UTF-16 text. 200,000 characters leave room for what
 * the service adds to the referral it returns.
 */
export const MAX_REFERRAL_JSON_CHARS = 200_000;

/** The same logical request hashes the same however it was spelled (aliases, key order). */
export function requestHash(referral: ReferralCreateRequest): string {
  return createHash('sha256').update(JSON.stringify(referral)).digest('hex');
}

/** The Partner Center `request-id` of an independent create under a key. */
export function independentRequestId(caller: string, key: string, hash: string): string {
  return guidNamedBy(`referral\n${caller}\n${key}\n${hash}`);
}

/**
 * Partner Center refused the request itself: nothing was created, so the key can be forgotten and
 * the caller may correct the request and send it again under the same key.
 */
function definitelyNotCreated(error: unknown): boolean {
  return error instanceof PartnerCenterError && error.failure.created === 'no';
}

/** What a create ends with: the referral, or (a repeat of a request still running) where to poll. */
export type CreateOutcome =
  | ({ kind: 'created' } & CreatedReferral)
  | { kind: 'pending'; token: string; retryAfterSeconds: number };

interface CreateContext {
  deps: CreateReferralDeps;
  caller: CallerRecord;
  correlationId: string;
  keySource: IdempotencyKey['source'];
}

const afterAnswerOf = (ctx: CreateContext) => ctx.deps.afterAnswer ?? awaitWrites;

/** The creator may read it back; a failure here costs that, never the referral. */
async function recordOwner(ctx: CreateContext, referral: Referral, claim?: string): Promise<void> {
  try {
    await ctx.deps.owners.recordOwner(referral, ctx.caller, claim);
  } catch {
    ctx.deps.log.error('referral.ownerNotRecorded', { referralId: referral.id });
  }
}

function send(ctx: CreateContext, referral: ReferralCreateRequest, requestId: string) {
  return ctx.deps.partnerCenter.createReferral(referral, {
    requestId,
    correlationId: ctx.correlationId,
    onAttempt: attemptLogger(ctx.deps.log),
  });
}

/** The referral a send under this record made since `since`, if it shows in lists. */
function findSentUnder(
  ctx: CreateContext,
  record: IdempotencyRecord,
  request: ReferralCreateRequest,
  since: Date,
): Promise<Referral | undefined> {
  const { deps } = ctx;
  return findCreated(deps.partnerCenter, request, since, deps.owners, record.token, {
    correlationId: ctx.correlationId,
    onAttempt: attemptLogger(deps.log),
  });
}

/** Sends under the reservation, finding out before any resend (half the lease for it all). */
function sendSettledUnder(
  ctx: CreateContext,
  record: IdempotencyRecord,
  request: ReferralCreateRequest,
): Promise<Referral> {
  const { deps } = ctx;
  return sendSettled({
    send: async () => (await send(ctx, request, record.upstreamRequestId)).referral,
    find: (since) => findSentUnder(ctx, record, request, since),
    listDelayMs: deps.policy.listDelayMs,
    budgetMs: deps.policy.leaseMs / 2,
    onFound: (found) =>
      deps.log.warn('idempotency.reconciled', { referralId: found.id, keySource: ctx.keySource }),
    // Not hidden: a referral listed later than the assumed bound would make this a duplicate.
    onResend: () =>
      deps.log.warn('referral.resentAfterUnknownOutcome', {
        requestId: record.upstreamRequestId,
        keySource: ctx.keySource,
      }),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
}

/** The outcome stored for a created (or adopted) referral, replayed to repeats. */
const createdOutcome = (referral: Referral) => ({
  status: 201,
  body: referral,
  referralId: referral.id,
  ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
});

/** Calls Partner Center under the reservation and records what happened. */
async function createUnder(
  ctx: CreateContext,
  record: IdempotencyRecord,
  request: ReferralCreateRequest,
): Promise<CreateOutcome> {
  const { idempotency, log } = ctx.deps;
  let referral: Referral;
  try {
    referral = await sendSettledUnder(ctx, record, request);
  } catch (error) {
    try {
      if (definitelyNotCreated(error)) await idempotency.remove(record);
      else await idempotency.release(record);
    } catch {
      // The lease runs out on its own; a repeat then re-sends with the same request-id.
      log.warn('idempotency.releaseFailed', { keySource: ctx.keySource });
    }
    throw error;
  }
  const outcome = createdOutcome(referral);
  const recordOutcome = async () => {
    try {
      if (!(await idempotency.complete(record, outcome))) {
        log.warn('idempotency.completedElsewhere', { referralId: referral.id });
      }
    } catch {
      // The referral exists; the caller must hear so. A repeat re-sends the same request-id,
      // which Partner Center answers with this same referral.
      log.error('idempotency.outcomeNotRecorded', { referralId: referral.id });
    }
  };
  // Two independent writes, side by side and after the answer (see after-answer.ts): the
  // reservation already protects the referral, so the caller waits for no further round trip.
  await afterAnswerOf(ctx).defer(referral.id, async () => {
    await Promise.all([recordOwner(ctx, referral, record.token), recordOutcome()]);
  });
  return { kind: 'created', status: 201, referral, replayed: false };
}

/**
 * A reservation taken over from a request that died (or gave up) without an outcome: it may have
 * created the referral. Find out before sending again (the caller has waited until a referral it
 * created would show in lists, `settlingMs`): look for it, and adopt it when found (never one
 * recorded under another request).
 */
async function resolveTakenOver(
  ctx: CreateContext,
  record: IdempotencyRecord,
  request: ReferralCreateRequest,
): Promise<CreateOutcome> {
  const { deps } = ctx;
  const found = await findSentUnder(ctx, record, request, record.createdAt);
  if (!found) return createUnder(ctx, record, request);
  deps.log.warn('idempotency.reconciled', { referralId: found.id, keySource: ctx.keySource });
  const recordOutcome = deps.idempotency.complete(record, createdOutcome(found)).catch(() => {
    // Found again the same way by the next repeat: the referral is never made twice for it.
    deps.log.error('idempotency.outcomeNotRecorded', { referralId: found.id });
  });
  await Promise.all([recordOwner(ctx, found, record.token), recordOutcome]);
  return { kind: 'created', status: 201, referral: found, replayed: false };
}

function replayed(ctx: CreateContext, record: IdempotencyRecord): CreateOutcome | undefined {
  if (record.state !== 'completed' || !record.outcome) return undefined;
  ctx.deps.log.info('idempotency.replayed', {
    keySource: ctx.keySource,
    ...(record.outcome.referralId ? { referralId: record.outcome.referralId } : {}),
  });
  return {
    kind: 'created',
    status: record.outcome.status,
    referral: record.outcome.body as Referral,
    replayed: true,
  };
}

/**
 * How long, after the last holder's last possible send, before a referral it created would show
 * in lists: until then, "not listed" does not mean "not created".
 */
const settlingMs = (policy: IdempotencyPolicy, record: IdempotencyRecord) =>
  Math.max(0, policy.listDelayMs - record.sinceWriteMs);

/** A running request's poll interval: soon, but never past its lease. */
const pollAfterSeconds = (record: IdempotencyRecord) =>
  Math.min(10, Math.max(1, Math.ceil(record.leaseLeftMs / 1000)));

export async function createReferralOnce(
  deps: CreateReferralDeps,
  call: CreateReferralCall,
): Promise<CreateOutcome> {
  const sleep = deps.sleep ?? sleepFor;
  const now = deps.now ?? (() => Date.now());
  const { log, idempotency, policy } = deps;
  const ctx: CreateContext = {
    deps,
    caller: callerRecordOf(call),
    correlationId: call.correlationId,
    keySource: call.key?.source ?? 'header',
  };

  if (!call.key) {
    const { referral } = await send(ctx, call.referral, randomUUID());
    await afterAnswerOf(ctx).defer(referral.id, () => recordOwner(ctx, referral));
    return { kind: 'created', status: 201, referral, replayed: false };
  }

  const key = call.key;
  const hash = requestHash(call.referral);
  // Derived from the key and the request, so a lost record still re-sends the same request-id.
  const upstreamRequestId = independentRequestId(call.caller, key.value, hash);
  const fresh = {
    key: key.value,
    ...callerRecordOf(call),
    requestHash: hash,
    upstreamRequestId,
    correlationId: call.correlationId,
    leaseMs: policy.leaseMs,
    ttlMs: policy.ttlMs,
    // Kept until the outcome is, so a repeat that was told to poll can finish it.
    request: JSON.stringify(call.referral),
  };

  const waitUntil = now() + policy.waitMs;
  let current = await idempotency.reserve(fresh);
  for (;;) {
    if (current.reserved) return createUnder(ctx, current.record, call.referral);
    const record = current.record;
    if (record.requestHash !== hash) throw keyReused(key);
    const done = replayed(ctx, record);
    if (done) return done;
    const settling = record.leaseLeftMs <= 0 ? settlingMs(policy, record) : 0;
    if (settling > 0) {
      // Its holder ended without an outcome only just now: wait until a referral would show.
      if (now() + settling > waitUntil) {
        const retryAfterSeconds = Math.ceil(settling / 1000);
        return { kind: 'pending', token: record.token, retryAfterSeconds };
      }
      await sleep(settling);
    } else if (record.leaseLeftMs <= 0) {
      // The request holding the key died (or gave up) without an outcome: resolve it.
      const taken = await idempotency.takeOver(record, call.correlationId, policy.leaseMs);
      if (taken) {
        log.warn('idempotency.takenOver', {
          keySource: key.source,
          requestId: taken.upstreamRequestId,
        });
        return resolveTakenOver(ctx, taken, call.referral);
      }
    } else if (now() + policy.pollMs > waitUntil) {
      // Still running: the caller polls for it (Power Automate follows a 202 by itself).
      return { kind: 'pending', token: record.token, retryAfterSeconds: pollAfterSeconds(record) };
    } else {
      await sleep(policy.pollMs);
    }
    const latest = await idempotency.get(call.caller, key.value);
    current = latest ? { reserved: false, record: latest } : await idempotency.reserve(fresh);
  }
}

/**
 * Follows a create a repeat was told to poll: its outcome once there is one; while it runs,
 * where to poll again; and if the request holding it died, finishes it (the same request-id).
 * Undefined when there is no such request of this caller (ended without a referral, or expired).
 */
export async function followCreate(
  deps: CreateReferralDeps,
  call: CallerRecord & { correlationId: string },
  token: string,
): Promise<CreateOutcome | undefined> {
  const record = await deps.idempotency.getByToken(token);
  if (!record || record.caller !== call.caller) return undefined;
  const ctx: CreateContext = {
    deps,
    caller: callerRecordOf(call),
    correlationId: call.correlationId,
    keySource: 'header',
  };
  const done = replayed(ctx, record);
  if (done) return done;
  if (record.leaseLeftMs > 0) {
    return { kind: 'pending', token, retryAfterSeconds: pollAfterSeconds(record) };
  }
  const settling = settlingMs(deps.policy, record);
  if (settling > 0)
    return { kind: 'pending', token, retryAfterSeconds: Math.ceil(settling / 1000) };
  // A Shared request's claim (followed as its operation), or nothing here to finish it with.
  if (!record.request) return undefined;
  const taken = await deps.idempotency.takeOver(record, call.correlationId, deps.policy.leaseMs);
  if (!taken) return { kind: 'pending', token, retryAfterSeconds: 1 };
  deps.log.warn('idempotency.takenOver', { requestId: taken.upstreamRequestId });
  return resolveTakenOver(ctx, taken, JSON.parse(record.request) as ReferralCreateRequest);
}
