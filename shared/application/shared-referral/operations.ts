/**
 * Starting and following shared referral operations (orchestration instances). The operation id
 * is derived from the idempotency key, so a repeated request joins the instance already running
 * or finished; a failed one is started again and finishes only the missing step.
 */
import { randomUUID } from 'node:crypto';
import type { DurableClient, OrchestrationRuntimeStatus } from 'durable-functions';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { errorBody } from '../../contract/errors';
import type { Logger } from '../../logging';
import type { ReferralCreateRequest } from '../../contract/schema';
import { callerRecordOf, type CallerRecord } from '../../contract/caller';
import { requestHash, type IdempotencyPolicy } from '../create-referral';
import type { NewReservation, ReserveResult } from '../../adapters/storage/idempotency-store';
import { keyReused, type IdempotencyKey } from '../idempotency-key';
import {
  gatewayStepFailure,
  operationIdFor,
  SHARED_REFERRAL_ORCHESTRATION,
  type SharedReferralInput,
  type SharedReferralOutput,
  type SharedReferralProgress,
  type StepFailure,
  type StepRetryPolicy,
} from './flow';

export interface OperationStatus {
  runtimeStatus: string;
  input?: unknown;
  output?: unknown;
  customStatus?: unknown;
}

/** An instance as a list of them gives it. */
export interface ListedInstance extends OperationStatus {
  instanceId: string;
  createdTime: Date;
  lastUpdatedTime: Date;
}

/** Orchestration instances of one kind, as the gateway starts and reads them. */
export interface Instances<I> {
  status(instanceId: string): Promise<OperationStatus | undefined>;
  start(instanceId: string, input: I): Promise<void>;
  /** The instances of this orchestration in these states (operators' lists). */
  list?(runtimeStatus: readonly string[]): Promise<ListedInstance[]>;
}

/** The part of the Durable client the shared referral routes use. */
export type Orchestrations = Instances<SharedReferralInput>;

/** Finished operations, kept for the idempotency window. */
export interface FinishedOperations {
  /** Removes finished operations (and their histories) created before `cutoff`; how many. */
  purgeFinishedBefore(cutoff: Date): Promise<number>;
}

/** Adapts the `durable-functions` client to instances of one orchestration. */
export function durableInstances<I>(client: DurableClient, orchestration: string): Instances<I> {
  return {
    async status(instanceId) {
      try {
        return await client.getStatus(instanceId);
      } catch (error) {
        // The client reports an unknown instance as an error naming the 404.
        if (error instanceof Error && /HTTP 404/.test(error.message)) return undefined;
        throw error;
      }
    },
    async start(instanceId, input) {
      await client.startNew(orchestration, { instanceId, input });
    },
    async list(runtimeStatus) {
      const found = await client.getStatusBy({
        runtimeStatus: [...runtimeStatus] as OrchestrationRuntimeStatus[],
      });
      return found
        .filter((status) => status.name === orchestration)
        .map((status) => ({
          instanceId: status.instanceId,
          runtimeStatus: status.runtimeStatus,
          input: status.input,
          output: status.output,
          customStatus: status.customStatus,
          createdTime: new Date(status.createdTime),
          lastUpdatedTime: new Date(status.lastUpdatedTime),
        }));
    },
  };
}

export function durableOrchestrations(client: DurableClient): Orchestrations {
  return durableInstances<SharedReferralInput>(client, SHARED_REFERRAL_ORCHESTRATION);
}

/** Adapts the `durable-functions` client's purge. */
export function durableFinishedOperations(client: DurableClient): FinishedOperations {
  return {
    async purgeFinishedBefore(cutoff) {
      // The enum's values are these names (a type import keeps the module off the cold path).
      const finished = ['Completed', 'Failed', 'Terminated'] as OrchestrationRuntimeStatus[];
      const purged = await client.purgeInstanceHistoryBy({
        createdTimeFrom: new Date(0),
        createdTimeTo: cutoff,
        runtimeStatus: finished,
      });
      return purged.instancesDeleted;
    },
  };
}

/** Ended without finishing: starting the same instance again resumes the work. */
export const RESTARTABLE = new Set(['Failed', 'Terminated', 'Canceled']);

/**
 * The idempotency records: a Shared request claims its key there as an Independent one does, so
 * one key names one logical request whatever its type, and two different requests sent at once
 * under one key cannot both go on (the claim is an insert-if-absent).
 */
export interface KeyClaims {
  store: { reserve(reservation: NewReservation): Promise<ReserveResult> };
  policy: Pick<IdempotencyPolicy, 'ttlMs'>;
}

export interface StartCall extends CallerRecord {
  referral: ReferralCreateRequest;
  key: IdempotencyKey | undefined;
  correlationId: string;
  acceptedAt: Date;
  /** How the flow's steps are retried (the settings'); absent: the flow's default. */
  retry?: StepRetryPolicy;
}

export interface StartedOperation {
  operationId: string;
  /** True when an earlier request with the same key started it (running or finished). */
  joined: boolean;
}

export async function startSharedReferral(
  orchestrations: Orchestrations,
  claims: KeyClaims,
  log: Logger,
  call: StartCall,
): Promise<StartedOperation> {
  const operationId = call.key ? operationIdFor(call.caller, call.key.value) : randomUUID();
  const hash = requestHash(call.referral);
  if (call.key) {
    const claim = await claims.store.reserve({
      key: call.key.value,
      ...callerRecordOf(call),
      requestHash: hash,
      // The operation is what holds a Shared request's key: no lease, its id in the record.
      upstreamRequestId: operationId,
      correlationId: call.correlationId,
      leaseMs: 0,
      ttlMs: claims.policy.ttlMs,
    });
    if (!claim.reserved && claim.record.requestHash !== hash) throw keyReused(call.key);
  }
  const input: SharedReferralInput = {
    referral: call.referral,
    requestHash: hash,
    ...callerRecordOf(call),
    keySource: call.key?.source ?? 'none',
    correlationId: call.correlationId,
    acceptedAt: call.acceptedAt.toISOString(),
    ...(call.retry ? { retry: call.retry } : {}),
  };
  const existing = await orchestrations.status(operationId);
  if (existing) {
    if ((existing.input as Partial<SharedReferralInput> | undefined)?.requestHash !== hash) {
      // Without a key the operation id is random: a different body cannot meet this one.
      throw keyReused(call.key as IdempotencyKey);
    }
    if (!RESTARTABLE.has(existing.runtimeStatus)) {
      log.info('sharedReferral.joined', { outcome: existing.runtimeStatus });
      return { operationId, joined: true };
    }
    // Finished steps are recorded; the new run reuses them and does only what is missing.
    log.warn('sharedReferral.resumed', { outcome: existing.runtimeStatus });
  }
  try {
    await orchestrations.start(operationId, input);
    log.info('sharedReferral.started', { keySource: input.keySource });
  } catch (error) {
    // Another request started it first: join it, if it is this same request.
    const started = await orchestrations.status(operationId);
    if (!started) throw error;
    if ((started.input as Partial<SharedReferralInput> | undefined)?.requestHash !== hash) {
      throw keyReused(call.key as IdempotencyKey);
    }
    return { operationId, joined: true };
  }
  return { operationId, joined: false };
}

export type OperationState =
  | { state: 'running'; operationId: string; progress: SharedReferralProgress | undefined }
  | { state: 'completed'; output: SharedReferralOutput }
  | { state: 'failed'; failure: StepFailure };

/** Where an operation's failure is kept whole when its progress carries it abridged. */
export interface OperationFailures {
  operationFailure(operationId: string): Promise<unknown>;
}

/** The operation's state, with its failure whole when the progress had to abridge it. */
export async function operationOutcome(
  operationId: string,
  status: OperationStatus,
  failures: OperationFailures,
  log: Logger,
): Promise<OperationState> {
  const state = operationState(operationId, status);
  const progress = status.customStatus as SharedReferralProgress | undefined;
  if (state.state !== 'failed' || !progress?.failureAbridged) return state;
  try {
    const whole = (await failures.operationFailure(operationId)) as StepFailure | undefined;
    if (whole) return { state: 'failed', failure: whole };
  } catch {
    // The abridged failure still answers the caller.
    log.warn('sharedReferral.failureUnread', { outcome: 'abridged' });
  }
  return state;
}

export function operationState(operationId: string, status: OperationStatus): OperationState {
  const progress = status.customStatus as SharedReferralProgress | undefined;
  switch (status.runtimeStatus) {
    case 'Completed':
      return { state: 'completed', output: status.output as SharedReferralOutput };
    case 'Failed':
    case 'Terminated':
    case 'Canceled':
      return {
        state: 'failed',
        failure:
          progress?.failure ??
          gatewayStepFailure(
            'internal',
            errorBody(
              'sharedReferralFailed',
              `The shared referral operation ended ${status.runtimeStatus.toLowerCase()} without a recorded cause. Send the same request again to finish it; nothing will be created twice.`,
              'operation',
            ),
          ),
      };
    default:
      return { state: 'running', operationId, progress };
  }
}

/**
 * Polls until the operation is no longer running or `waitMs` has passed. The first polls come
 * quickly (locally a shared referral completes in a fraction of a second; in Azure each of its
 * hops waits for a queue poll, up to 30 s when the app was idle), then every `pollMs`.
 */
export async function waitForOperation(
  orchestrations: Orchestrations,
  operationId: string,
  waitMs: number,
  options: { pollMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<OperationStatus | undefined> {
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? sleepFor;
  const until = now() + waitMs;
  const slowest = options.pollMs ?? 500;
  for (let interval = Math.min(50, slowest); ; interval = Math.min(interval * 2, slowest)) {
    const status = await orchestrations.status(operationId);
    if (!status || operationState(operationId, status).state !== 'running') return status;
    if (now() >= until) return status;
    await sleep(Math.min(interval, Math.max(0, until - now())));
  }
}
