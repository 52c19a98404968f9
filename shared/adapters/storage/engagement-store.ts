/**
 * Engagement mappings in Azure Table Storage: which referrals belong to which engagement, in which
 * role, and which operation created them.
 *
 * - Partition `<engagementId>`: row `engagement` (state, operation, external reference, caller,
 *   times) and one row per referral (`referral-partner`, `referral-microsoft`). A step's rows
 *   are written in one transaction.
 * - Partition `operation-<operationId>` (the operation id is derived from the idempotency key,
 *   so this is the lookup by key): row `operation` (engagement id) and one row per finished step
 *   holding the referral Partner Center returned. The step row is written last: if it exists,
 *   the step is done and its mapping is recorded. Row `failure`: the last failure too large for
 *   the operation's progress, whole.
 * - Partition `referral-<referralId>`: row `owner`, the caller that created the referral through
 *   this gateway (the read model: a caller reads what it created); rows `change-<eventId>`, each
 *   change Partner Center announced (a repeated event writes the same row again).
 * - In an engagement's partition, rows `seen-<referralId>`: every referral Partner Center
 *   announced on the engagement, those Microsoft added included.
 */
import { odata, TableTransaction, type TableClient } from '@azure/data-tables';
import type {
  EngagementMapping,
  EngagementReferral,
  EngagementState,
  ReferralRole,
} from '../../contract/engagement';
import type { Referral, Target } from '../../contract/schema';
import { callerRecordOf, type CallerRecord } from '../../contract/caller';
import { fromChunks, toChunks, type ChunkedText } from './chunked-text';
import {
  deleteListed,
  ensureTable,
  entityOrUndefined,
  entityWithAge,
  isStatus,
} from './ensure-table';

export interface StepRecord extends CallerRecord {
  operationId: string;
  role: ReferralRole;
  referral: Referral;
}

interface Keys {
  partitionKey: string;
  rowKey: string;
}

/** Row `engagement` of an engagement's partition. */
interface EngagementEntity extends Keys, CallerRecord {
  state: EngagementState;
  operationId: string;
  externalReferenceId?: string;
  createdAt: string;
  updatedAt: string;
}

/** Row `referral-<role>` of an engagement's partition. */
interface ReferralEntity extends Keys {
  role: ReferralRole;
  referralId: string;
  createdAt: string;
  targetType?: Target['type'];
  targetId?: string;
}

/** Row `owner` of a referral's partition. */
interface OwnerEntity extends Keys, CallerRecord {
  engagementId?: string;
  /** The request the referral was created (or adopted) under. */
  claim?: string;
  createdAt: string;
}

/** Row `step-<role>` of an operation's partition: the referral the step created. */
type StepEntity = Keys & { referralId: string } & ChunkedText;

/** Row `claim-<role>` of an operation's partition: who sends the step's create, for how long. */
type StepClaimEntity = Keys & { holder: string; leaseMs: number; firstClaimedAt: string };

/** The outcome of claiming a step: held (and whether an earlier holder may have sent), or not. */
export type StepClaim =
  | { held: true; sentBefore: boolean; sinceWriteMs: number; firstClaimedAt: Date }
  | { held: false; leaseLeftMs: number };

/** Row `failure` of an operation's partition. */
type FailureEntity = Keys & ChunkedText;

const ENGAGEMENT_ROW = 'engagement';
const ownerKeys = (referralId: string): Keys => ({
  partitionKey: `referral-${referralId}`,
  rowKey: 'owner',
});
const REFERRAL_ROW_PREFIX = 'referral-';
const referralRow = (role: ReferralRole) => `${REFERRAL_ROW_PREFIX}${role}`;
const operationPartition = (operationId: string) => `operation-${operationId}`;
const stepKeys = (operationId: string, role: ReferralRole): Keys => ({
  partitionKey: operationPartition(operationId),
  rowKey: `step-${role}`,
});

const claimKeys = (operationId: string, role: ReferralRole): Keys => ({
  partitionKey: operationPartition(operationId),
  rowKey: `claim-${role}`,
});

const failureKeys = (operationId: string): Keys => ({
  partitionKey: operationPartition(operationId),
  rowKey: 'failure',
});

function targetFor(referral: Referral, role: ReferralRole): Target | undefined {
  const wanted = role === 'microsoft' ? 'BusinessProfileLocation' : 'SolutionProfile';
  const found = referral.target?.find((t) => t.type === wanted) ?? referral.target?.[0];
  return found?.type && found.id ? { type: found.type, id: found.id } : undefined;
}

export class EngagementStore {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes sure the table exists (the first write would otherwise do it). */
  ready(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Records who created a referral through the gateway. */
  async recordOwner(
    referral: Pick<Referral, 'id' | 'engagementId'>,
    owner: CallerRecord,
    claim?: string,
  ): Promise<void> {
    await ensureTable(this.table);
    const entity: OwnerEntity = {
      ...ownerKeys(referral.id),
      ...callerRecordOf(owner),
      ...(claim ? { claim } : {}),
      ...(referral.engagementId ? { engagementId: referral.engagementId } : {}),
      createdAt: this.now().toISOString(),
    };
    await this.table.upsertEntity(entity, 'Replace');
  }

  /** Who created the referral through the gateway; undefined when it did not (or not yet). */
  async ownerOf(referralId: string): Promise<CallerRecord | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<OwnerEntity>(this.table, ownerKeys(referralId));
    return entity && callerRecordOf(entity);
  }

  /**
   * Claims the sending of a step's create: only one run of the step (at-least-once activities,
   * even two at once) may send it at a time. A claim whose lease ran out, judged by the storage
   * service's clock, is taken over, saying an earlier holder may have sent the create.
   */
  async claimStep(
    operationId: string,
    role: ReferralRole,
    holder: string,
    leaseMs: number,
  ): Promise<StepClaim> {
    const fresh = await this.claimFreshStep(operationId, role, holder, leaseMs);
    return fresh ?? this.claimClaimedStep(operationId, role, holder, leaseMs);
  }

  /** Claims a step a run claimed before: taken over once its lease has run out. */
  async claimClaimedStep(
    operationId: string,
    role: ReferralRole,
    holder: string,
    leaseMs: number,
  ): Promise<StepClaim> {
    await ensureTable(this.table);
    const keys = claimKeys(operationId, role);
    const found = await entityWithAge<StepClaimEntity>(this.table, keys);
    if (!found) return this.claimStep(operationId, role, holder, leaseMs);
    const existing = found.entity;
    // Without the service's times, the lease is taken as just renewed (never taken over early).
    const sinceWriteMs = found.sinceWriteMs ?? 0;
    const leaseLeftMs = Math.max(0, existing.leaseMs - sinceWriteMs);
    if (leaseLeftMs > 0) return { held: false, leaseLeftMs };
    try {
      await this.table.updateEntity({ ...keys, holder, leaseMs }, 'Merge', {
        etag: existing.etag,
      });
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return { held: false, leaseLeftMs: 0 };
      throw error;
    }
    return {
      held: true,
      sentBefore: true,
      sinceWriteMs,
      firstClaimedAt: new Date(existing.firstClaimedAt),
    };
  }

  /**
   * Claims a step no run has claimed before (one insert); undefined when one has. The claim row
   * stays once written, so a step claimed this way was never sent, let alone finished.
   */
  async claimFreshStep(
    operationId: string,
    role: ReferralRole,
    holder: string,
    leaseMs: number,
  ): Promise<StepClaim | undefined> {
    await ensureTable(this.table);
    const fresh: StepClaimEntity = {
      ...claimKeys(operationId, role),
      holder,
      leaseMs,
      firstClaimedAt: this.now().toISOString(),
    };
    try {
      await this.table.createEntity(fresh);
    } catch (error) {
      if (isStatus(error, 409)) return undefined;
      throw error;
    }
    return {
      held: true,
      sentBefore: false,
      sinceWriteMs: 0,
      firstClaimedAt: new Date(fresh.firstClaimedAt),
    };
  }

  /** Ends a step's claim early (its holder is done without a referral); best effort. */
  async releaseStep(operationId: string, role: ReferralRole, holder: string): Promise<void> {
    const keys = claimKeys(operationId, role);
    const existing = await entityOrUndefined<StepClaimEntity>(this.table, keys);
    if (existing?.holder !== holder) return;
    await this.table
      .updateEntity({ ...keys, leaseMs: 0 }, 'Merge', { etag: existing.etag })
      .catch(() => undefined);
  }

  /** The request a referral was recorded under, if any. */
  async claimOf(referralId: string): Promise<string | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<OwnerEntity>(this.table, ownerKeys(referralId));
    return entity?.claim;
  }

  /** The referral a finished step created, if that step already ran to the end. */
  async findStep(operationId: string, role: ReferralRole): Promise<Referral | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<StepEntity>(this.table, stepKeys(operationId, role));
    const text = entity && fromChunks(entity);
    return text === undefined ? undefined : (JSON.parse(text) as Referral);
  }

  /**
   * Records a finished step: the mapping (one transaction) and the referral's creator side by
   * side, then the step row, last. Two round trips, and no read: the partner's step always
   * comes first (Microsoft's needs its engagement), so it writes the engagement's creation time
   * and Microsoft's merges over it.
   */
  async recordStep(step: StepRecord): Promise<void> {
    await ensureTable(this.table);
    const { referral, role, operationId } = step;
    const caller = callerRecordOf(step);
    const engagementId = referral.engagementId;
    if (!engagementId)
      throw new Error('Partner Center returned a referral without an engagementId');
    const at = this.now().toISOString();
    const target = targetFor(referral, role);
    const summary: Omit<EngagementEntity, 'createdAt'> & { createdAt?: string } = {
      partitionKey: engagementId,
      rowKey: ENGAGEMENT_ROW,
      state: role === 'microsoft' ? 'complete' : 'partnerReferralCreated',
      operationId,
      ...caller,
      ...(role === 'partner' ? { createdAt: at } : {}),
      updatedAt: at,
      ...(referral.externalReferenceId
        ? { externalReferenceId: referral.externalReferenceId }
        : {}),
    };
    const referralEntity: ReferralEntity = {
      partitionKey: engagementId,
      rowKey: referralRow(role),
      role,
      referralId: referral.id,
      createdAt: at,
      ...(target ? { targetType: target.type, targetId: target.id } : {}),
    };
    const mapping = new TableTransaction();
    mapping.upsertEntity(summary, 'Merge');
    mapping.upsertEntity(referralEntity, 'Replace');
    await Promise.all([
      this.table.submitTransaction(mapping.actions),
      this.recordOwner(referral, caller, operationId),
    ]);

    const stepEntity: StepEntity = {
      ...stepKeys(operationId, role),
      referralId: referral.id,
      ...toChunks(JSON.stringify(referral)),
    };
    const done = new TableTransaction();
    done.upsertEntity(
      {
        partitionKey: operationPartition(operationId),
        rowKey: 'operation',
        engagementId,
        ...caller,
      },
      'Merge',
    );
    done.upsertEntity(stepEntity, 'Replace');
    await this.table.submitTransaction(done.actions);
  }

  /**
   * Removes the operation rows (step results with the referrals Partner Center returned, kept
   * failures, the key's lookup) last written before `cutoff`, each by the ETag listed; the
   * engagement mappings stay. Returns how many rows went.
   */
  async purgeOperationsBefore(cutoff: Date): Promise<number> {
    await ensureTable(this.table);
    const rows = this.table.listEntities<Keys>({
      queryOptions: {
        filter: odata`PartitionKey ge 'operation-' and PartitionKey lt 'operation.' and Timestamp lt ${cutoff}`,
        select: ['PartitionKey', 'RowKey'],
      },
    });
    return deleteListed(this.table, rows);
  }

  /**
   * Records a change Partner Center announced: the referral joins its engagement's records, and
   * the change is kept under the event's id, so a repeated event changes nothing.
   */
  async recordChange(change: {
    referral: Referral;
    eventId: string;
    eventName: string;
    changedAt: string;
  }): Promise<void> {
    await ensureTable(this.table);
    const { referral, eventId, eventName, changedAt } = change;
    const at = this.now().toISOString();
    const state = {
      ...(referral.status ? { status: referral.status } : {}),
      ...(referral.substatus ? { substatus: referral.substatus } : {}),
    };
    if (referral.engagementId) {
      await this.table.upsertEntity(
        {
          partitionKey: referral.engagementId,
          rowKey: `seen-${referral.id}`,
          referralId: referral.id,
          ...(referral.direction ? { direction: referral.direction } : {}),
          lastEventName: eventName,
          lastChangedAt: changedAt,
          ...state,
        },
        'Merge',
      );
    }
    await this.table.upsertEntity(
      {
        partitionKey: `referral-${referral.id}`,
        rowKey: `change-${eventId}`,
        eventName,
        changedAt,
        recordedAt: at,
        ...state,
      },
      'Replace',
    );
  }

  /** Keeps an operation's failure whole (the last one; JSON as the application gives it). */
  async recordOperationFailure(operationId: string, failure: unknown): Promise<void> {
    await ensureTable(this.table);
    const entity: FailureEntity = {
      ...failureKeys(operationId),
      ...toChunks(JSON.stringify(failure)),
    };
    await this.table.upsertEntity(entity, 'Replace');
  }

  /** The failure kept for an operation, if one was. */
  async operationFailure(operationId: string): Promise<unknown> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<FailureEntity>(this.table, failureKeys(operationId));
    const text = entity && fromChunks(entity);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }

  async getEngagement(engagementId: string): Promise<EngagementMapping | undefined> {
    await ensureTable(this.table);
    let summary: EngagementEntity | undefined;
    const referrals: EngagementReferral[] = [];
    const rows = this.table.listEntities<EngagementEntity | ReferralEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${engagementId}` },
    });
    for await (const row of rows) {
      if (row.rowKey === ENGAGEMENT_ROW) summary = row as EngagementEntity;
      else if (row.rowKey.startsWith(REFERRAL_ROW_PREFIX)) {
        const entry = row as ReferralEntity;
        referrals.push({
          role: entry.role,
          referralId: entry.referralId,
          createdAt: entry.createdAt,
          ...(entry.targetType && entry.targetId
            ? { target: { type: entry.targetType, id: entry.targetId } }
            : {}),
        });
      }
    }
    if (!summary) return undefined;
    referrals.sort((a, b) => (a.role === b.role ? 0 : a.role === 'partner' ? -1 : 1));
    return {
      engagementId,
      state: summary.state,
      operationId: summary.operationId,
      ...callerRecordOf(summary),
      createdAt: summary.createdAt,
      updatedAt: summary.updatedAt,
      ...(summary.externalReferenceId ? { externalReferenceId: summary.externalReferenceId } : {}),
      referrals,
    };
  }
}
