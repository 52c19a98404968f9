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
 *   the step is done and its mapping is recorded.
 */
import { callerRecordOf, type CallerRecord } from '../caller/caller';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { Referral, Target } from '../../contract/schema';
import { fromChunks, toChunks } from './chunked-text';
import { ensureTable, isStatus } from './ensure-table';

export type ReferralRole = 'partner' | 'microsoft';
export type EngagementState = 'partnerReferralCreated' | 'complete';

export interface EngagementReferral {
  role: ReferralRole;
  referralId: string;
  target?: Target;
  createdAt: string;
}

export interface EngagementMapping {
  engagementId: string;
  state: EngagementState;
  operationId: string;
  externalReferenceId?: string;
  caller: string;
  callerAppId?: string;
  callerName?: string;
  createdAt: string;
  updatedAt: string;
  referrals: EngagementReferral[];
}

export interface StepRecord extends CallerRecord {
  operationId: string;
  role: ReferralRole;
  referral: Referral;
}

const ENGAGEMENT_ROW = 'engagement';
const referralRow = (role: ReferralRole) => `referral-${role}`;
const operationPartition = (operationId: string) => `operation-${operationId}`;
const stepRow = (role: ReferralRole) => `step-${role}`;

function targetFor(referral: Referral, role: ReferralRole): Target | undefined {
  const wanted = role === 'microsoft' ? 'BusinessProfileLocation' : 'SolutionProfile';
  return referral.target?.find((t) => t.type === wanted) ?? referral.target?.[0];
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

  /** The referral a finished step created, if that step already ran to the end. */
  async findStep(operationId: string, role: ReferralRole): Promise<Referral | undefined> {
    await ensureTable(this.table);
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(
        operationPartition(operationId),
        stepRow(role),
      );
      const text = fromChunks(entity);
      return text === undefined ? undefined : (JSON.parse(text) as Referral);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** Records a finished step: the mapping first (one transaction), then the step row. */
  async recordStep(step: StepRecord): Promise<void> {
    await ensureTable(this.table);
    const { referral, role, operationId } = step;
    const caller = callerRecordOf(step);
    const engagementId = referral.engagementId;
    if (!engagementId)
      throw new Error('Partner Center returned a referral without an engagementId');
    const at = this.now().toISOString();
    const target = targetFor(referral, role);
    const existing = await this.getEngagementRow(engagementId);
    const summary = {
      partitionKey: engagementId,
      rowKey: ENGAGEMENT_ROW,
      state: role === 'microsoft' ? 'complete' : (existing?.state ?? 'partnerReferralCreated'),
      operationId,
      ...caller,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      ...(referral.externalReferenceId
        ? { externalReferenceId: referral.externalReferenceId }
        : {}),
    };
    const actions: TransactionAction[] = [
      ['upsert', summary, 'Merge'],
      [
        'upsert',
        {
          partitionKey: engagementId,
          rowKey: referralRow(role),
          role,
          referralId: referral.id,
          createdAt: at,
          ...(target ? { targetType: target.type, targetId: target.id } : {}),
        },
        'Replace',
      ],
    ];
    await this.table.submitTransaction(actions);
    await this.table.submitTransaction([
      [
        'upsert',
        {
          partitionKey: operationPartition(operationId),
          rowKey: 'operation',
          engagementId,
          ...caller,
        },
        'Merge',
      ],
      [
        'upsert',
        {
          partitionKey: operationPartition(operationId),
          rowKey: stepRow(role),
          referralId: referral.id,
          ...toChunks(JSON.stringify(referral)),
        },
        'Replace',
      ],
    ]);
  }

  async getEngagement(engagementId: string): Promise<EngagementMapping | undefined> {
    await ensureTable(this.table);
    let summary: Record<string, unknown> | undefined;
    const referrals: EngagementReferral[] = [];
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${engagementId.replace(/'/g, "''")}'` },
    });
    for await (const row of rows) {
      if (row.rowKey === ENGAGEMENT_ROW) summary = row;
      else if (typeof row.rowKey === 'string' && row.rowKey.startsWith('referral-')) {
        referrals.push({
          role: row.role as ReferralRole,
          referralId: String(row.referralId),
          createdAt: String(row.createdAt),
          ...(typeof row.targetType === 'string' && typeof row.targetId === 'string'
            ? { target: { type: row.targetType as Target['type'], id: row.targetId } }
            : {}),
        });
      }
    }
    if (!summary) return undefined;
    referrals.sort((a, b) => (a.role === b.role ? 0 : a.role === 'partner' ? -1 : 1));
    return {
      engagementId,
      state: summary.state as EngagementState,
      operationId: String(summary.operationId),
      caller: String(summary.caller),
      ...(typeof summary.callerAppId === 'string' ? { callerAppId: summary.callerAppId } : {}),
      ...(typeof summary.callerName === 'string' ? { callerName: summary.callerName } : {}),
      createdAt: String(summary.createdAt),
      updatedAt: String(summary.updatedAt),
      ...(typeof summary.externalReferenceId === 'string'
        ? { externalReferenceId: summary.externalReferenceId }
        : {}),
      referrals,
    };
  }

  private async getEngagementRow(
    engagementId: string,
  ): Promise<{ state?: string; createdAt?: string } | undefined> {
    try {
      const row = await this.table.getEntity<{ state?: string; createdAt?: string }>(
        engagementId,
        ENGAGEMENT_ROW,
      );
      return row;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }
}
