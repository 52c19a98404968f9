/** Small Table Storage idioms the stores share. */
import type { TableClient, TableEntityResult } from '@azure/data-tables';

const ready = new WeakMap<TableClient, Promise<void>>();

/** Creates the table on first use (once per client); a failure is retried on the next call. */
export function ensureTable(table: TableClient): Promise<void> {
  let pending = ready.get(table);
  if (!pending) {
    pending = table.createTable().then(
      () => undefined,
      (error: unknown) => {
        ready.delete(table);
        throw error;
      },
    );
    ready.set(table, pending);
  }
  return pending;
}

/** The table was found missing (deleted after it was made): the next use creates it again. */
export function forgetTable(table: TableClient): void {
  ready.delete(table);
}

/**
 * Deletes the rows a query listed, each only if unchanged since (its listed ETag), up to `limit`;
 * returns how many went. A row changed or gone meanwhile is left alone.
 */
export async function deleteListed(
  table: TableClient,
  rows: AsyncIterable<{ partitionKey: string; rowKey: string; etag: string }>,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  let removed = 0;
  for await (const row of rows) {
    try {
      await table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
      removed += 1;
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
    }
    if (removed >= limit) break;
  }
  return removed;
}

export function isStatus(error: unknown, status: number): boolean {
  return (error as { statusCode?: number }).statusCode === status;
}

/** The entity with these keys, or undefined when there is none. */
export async function entityOrUndefined<T extends object>(
  table: TableClient,
  key: { partitionKey: string; rowKey: string },
): Promise<TableEntityResult<T> | undefined> {
  return (await entityWithAge<T>(table, key))?.entity;
}

/**
 * The entity, with how long ago the storage service last wrote it, judged by the service's clock
 * alone (its Date at this read against the entity's Timestamp); undefined age when either is
 * missing. Leases are timed by this, never by an instance's own clock.
 */
export async function entityWithAge<T extends object>(
  table: TableClient,
  key: { partitionKey: string; rowKey: string },
): Promise<{ entity: TableEntityResult<T>; sinceWriteMs?: number } | undefined> {
  let serviceNow = Number.NaN;
  try {
    const entity = await table.getEntity<T>(key.partitionKey, key.rowKey, {
      onResponse: (response) => {
        serviceNow = Date.parse(response.headers.get('date') ?? '');
      },
    });
    const age = serviceNow - Date.parse(entity.timestamp ?? '');
    return Number.isNaN(age) ? { entity } : { entity, sinceWriteMs: Math.max(0, age) };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/**
 * Proves the table's account answers and our identity may read it: one cheap query, aborted (not
 * just abandoned) at the signal so the SDK's own retries stop too. A missing table is fine: it is
 * created on first use.
 */
export async function probeTable(table: TableClient, abortSignal: AbortSignal): Promise<void> {
  try {
    const entities = table.listEntities({
      queryOptions: { select: ['PartitionKey'] },
      abortSignal,
    });
    await entities.byPage({ maxPageSize: 1 }).next();
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}
