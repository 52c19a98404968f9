import type { TableClient } from '@azure/data-tables';

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

export function isStatus(error: unknown, status: number): boolean {
  return (error as { statusCode?: number }).statusCode === status;
}
