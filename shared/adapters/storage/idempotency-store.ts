/**
 * Idempotency records in Azure Table Storage. Exactly-once rests on the service's conditional
 * writes: a key is reserved by insert-if-absent (409 when taken) and every later change is an
 * update with If-Match on the ETag read, so two instances can never both own a key.
 */
import { callerRecordOf } from '../../contract/caller';
import { createHash } from 'node:crypto';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import {
  emptiedNamedChunks,
  fromChunks,
  fromNamedChunks,
  toChunks,
  toNamedChunks,
  type ChunkedText,
} from './chunked-text';
import { deleteListed, ensureTable, entityWithAge, isStatus, probeTable } from './ensure-table';

const ROW_KEY = 'referral';
const REQUEST_CHUNKS = 'request';

/** The stored answer to a completed request, replayed verbatim to repeats. */
export interface StoredOutcome {
  status: number;
  body: unknown;
  referralId?: string;
  engagementId?: string;
}

export interface IdempotencyRecord {
  /** The caller's key as given (or derived), for operators; not secret. */
  key: string;
  /** The record's opaque id (its partition key): a waiting caller polls with it. */
  token: string;
  /** The request as sent (canonical JSON) while pending, so whoever follows it can finish it. */
  request?: string;
  /** Who made it: the caller's object id (the key's scope), client app id and name. */
  caller: string;
  callerAppId?: string;
  callerName?: string;
  state: 'pending' | 'completed';
  /** SHA-256 of the canonical request, to tell a repeat from a reuse of the key. */
  requestHash: string;
  /** Partner Center `request-id` for this logical create, reused by every re-send. */
  upstreamRequestId: string;
  /** While in the future, the reserving request is presumed alive and calling Partner Center. */
  leaseUntil: Date;
  /**
   * How much of the lease is left, judged by the storage service's clock alone (its time when
   * the record was read, less its time of the record's last write), so an instance whose own
   * clock runs ahead cannot take over a request still in flight. Zero when it has run out.
   */
  leaseLeftMs: number;
  /** How long ago (service time) the record was last written: a holder's last possible send. */
  sinceWriteMs: number;
  createdAt: Date;
  expiresAt: Date;
  correlationId: string;
  outcome?: StoredOutcome;
  /** The lease's length from the record's last write (0 once released or completed). */
  leaseMs: number;
  etag: string;
}

type RecordFields =
  | 'leaseMs'
  | 'key'
  | 'caller'
  | 'callerAppId'
  | 'callerName'
  | 'requestHash'
  | 'upstreamRequestId'
  | 'correlationId';

export type NewReservation = Pick<IdempotencyRecord, RecordFields> & {
  ttlMs: number;
  /** The request, kept until the outcome is (a Shared request's claim keeps none). */
  request?: string;
};

/** The stored shape: the record's fields, plus the outcome spread over plain properties. */
type Entity = Pick<
  IdempotencyRecord,
  Exclude<RecordFields, 'leaseMs'> | 'leaseUntil' | 'createdAt' | 'expiresAt'
> & {
  leaseMs?: number;
  partitionKey: string;
  rowKey: string;
  state: string;
  status?: number;
  referralId?: string;
  engagementId?: string;
} & Partial<ChunkedText>;

/** Keys are scoped per caller; hashing keeps any characters out of the PartitionKey. */
export function partitionKeyFor(caller: string, key: string): string {
  return createHash('sha256').update(`${caller}\n${key}`).digest('hex');
}

export interface ReserveResult {
  /** True when this call reserved the key; else `record` is whoever holds it. */
  reserved: boolean;
  record: IdempotencyRecord;
}

export class IdempotencyStore {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes sure the table exists (the first reservation would otherwise do it). */
  ready(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Proves Table Storage answers within the signal's time (health). */
  probe(abortSignal: AbortSignal): Promise<void> {
    return probeTable(this.table, abortSignal);
  }

  /**
   * Reserves the key for a new request, or returns the record already holding it. An expired
   * record is removed (conditionally) and the reservation tried again.
   */
  async reserve(reservation: NewReservation): Promise<ReserveResult> {
    await ensureTable(this.table);
    const partitionKey = partitionKeyFor(reservation.caller, reservation.key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const entity: Entity = {
        partitionKey,
        rowKey: ROW_KEY,
        key: reservation.key,
        ...callerRecordOf(reservation),
        state: 'pending',
        requestHash: reservation.requestHash,
        upstreamRequestId: reservation.upstreamRequestId,
        leaseUntil: new Date(now.getTime() + reservation.leaseMs),
        leaseMs: reservation.leaseMs,
        createdAt: now,
        expiresAt: new Date(now.getTime() + reservation.ttlMs),
        correlationId: reservation.correlationId,
        ...(reservation.request ? toNamedChunks(reservation.request, REQUEST_CHUNKS) : {}),
      };
      try {
        const result = await this.table.createEntity(entity);
        return {
          reserved: true,
          record: {
            ...toRecord(entity, result.etag ?? ''),
            leaseLeftMs: reservation.leaseMs,
            sinceWriteMs: 0,
          },
        };
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
      }
      const existing = await this.get(reservation.caller, reservation.key);
      if (!existing) continue; // removed in between: try to take it again
      if (existing.expiresAt.getTime() > now.getTime())
        return { reserved: false, record: existing };
      await this.removeIfUnchanged(existing);
    }
    throw new Error('Could not reserve the idempotency key: it keeps changing');
  }

  get(caller: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.getByToken(partitionKeyFor(caller, key));
  }

  /** The record with this token (see `IdempotencyRecord.token`). */
  async getByToken(token: string): Promise<IdempotencyRecord | undefined> {
    await ensureTable(this.table);
    const found = await entityWithAge<Entity>(this.table, { partitionKey: token, rowKey: ROW_KEY });
    if (!found) return undefined;
    const record = toRecord(found.entity, found.entity.etag);
    if (found.sinceWriteMs !== undefined) {
      record.leaseLeftMs = Math.max(0, record.leaseMs - found.sinceWriteMs);
      record.sinceWriteMs = found.sinceWriteMs;
    }
    return record;
  }

  /**
   * Takes over a pending record whose lease ran out (its request died), renewing the lease.
   * Undefined when another request changed it first.
   */
  async takeOver(
    record: IdempotencyRecord,
    correlationId: string,
    leaseMs: number,
  ): Promise<IdempotencyRecord | undefined> {
    const leaseUntil = new Date(this.now().getTime() + leaseMs);
    const etag = await this.update(record, { leaseUntil, leaseMs, correlationId });
    return etag === undefined
      ? undefined
      : { ...record, leaseUntil, leaseMs, leaseLeftMs: leaseMs, correlationId, etag };
  }

  /** Stores the outcome. False when the record changed meanwhile (someone else finished it). */
  async complete(record: IdempotencyRecord, outcome: StoredOutcome): Promise<boolean> {
    const etag = await this.update(record, {
      state: 'completed',
      leaseUntil: this.now(),
      leaseMs: 0,
      status: outcome.status,
      ...toChunks(JSON.stringify(outcome.body)),
      // The request is not needed once its outcome is kept.
      ...(record.request ? emptiedNamedChunks(record.request, REQUEST_CHUNKS) : {}),
      ...(outcome.referralId ? { referralId: outcome.referralId } : {}),
      ...(outcome.engagementId ? { engagementId: outcome.engagementId } : {}),
    });
    return etag !== undefined;
  }

  /**
   * Ends the lease without an outcome: the upstream create may or may not have happened, so the
   * record (and its upstream request-id) stays for the next attempt to resolve.
   */
  async release(record: IdempotencyRecord): Promise<void> {
    await this.update(record, { leaseUntil: new Date(0), leaseMs: 0 });
  }

  /** Forgets the key: nothing was created upstream, so the caller may use it afresh. */
  async remove(record: IdempotencyRecord): Promise<void> {
    await this.removeIfUnchanged(record);
  }

  /**
   * Deletes records past their expiry; returns how many. Each delete is conditional on the ETag
   * listed: a record renewed or replaced since (a new reservation of the key) is left alone.
   */
  async purgeExpired(limit = 10000): Promise<number> {
    await ensureTable(this.table);
    const entities = this.table.listEntities<Entity>({
      queryOptions: {
        filter: odata`expiresAt lt ${this.now()}`,
        select: ['partitionKey', 'rowKey'],
      },
    });
    return deleteListed(this.table, entities, limit);
  }

  private async removeIfUnchanged(record: IdempotencyRecord): Promise<void> {
    try {
      await this.table.deleteEntity(partitionKeyFor(record.caller, record.key), ROW_KEY, {
        etag: record.etag,
      });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
    }
  }

  /** A conditional merge; the new ETag, or undefined when the record changed or vanished. */
  private async update(
    record: IdempotencyRecord,
    changes: Partial<Entity>,
  ): Promise<string | undefined> {
    try {
      const result = await this.table.updateEntity(
        { partitionKey: partitionKeyFor(record.caller, record.key), rowKey: ROW_KEY, ...changes },
        'Merge',
        { etag: record.etag },
      );
      return result.etag ?? '';
    } catch (error) {
      if (isStatus(error, 412) || isStatus(error, 404)) return undefined;
      throw error;
    }
  }
}

function toRecord(entity: Entity | TableEntityResult<Entity>, etag: string): IdempotencyRecord {
  const body = fromChunks(entity);
  const request = fromNamedChunks(entity, REQUEST_CHUNKS);
  const record: IdempotencyRecord = {
    key: entity.key,
    token: entity.partitionKey,
    ...(request ? { request } : {}),
    ...callerRecordOf(entity),
    state: entity.state === 'completed' ? 'completed' : 'pending',
    requestHash: entity.requestHash,
    upstreamRequestId: entity.upstreamRequestId,
    leaseUntil: new Date(entity.leaseUntil),
    // Records written before leases were timed by the service: the writer's own clock.
    leaseMs: entity.leaseMs ?? Math.max(0, new Date(entity.leaseUntil).getTime() - Date.now()),
    leaseLeftMs: Math.max(0, new Date(entity.leaseUntil).getTime() - Date.now()),
    sinceWriteMs: 0,
    createdAt: new Date(entity.createdAt),
    expiresAt: new Date(entity.expiresAt),
    correlationId: entity.correlationId,
    etag,
  };
  if (record.state === 'completed' && entity.status !== undefined && body !== undefined) {
    record.outcome = {
      status: entity.status,
      body: JSON.parse(body) as unknown,
      ...(entity.referralId ? { referralId: entity.referralId } : {}),
      ...(entity.engagementId ? { engagementId: entity.engagementId } : {}),
    };
  }
  return record;
}
