/**
 * Azure Table Storage's entity limits, which Azurite does not enforce: at most 1 MiB per entity
 * and 64 KiB per property, sized as the service documents it ("Understanding the Table service
 * data model": 4 bytes + 2 per key character, and per property 8 bytes + 2 per name character
 * + the value: strings 4 + 2 per UTF-16 unit, numbers and dates 8, booleans 1).
 */
import type { TableClient } from '@azure/data-tables';

export const MAX_ENTITY_BYTES = 1024 * 1024;
export const MAX_PROPERTY_BYTES = 64 * 1024;

const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.etag']);

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return 4 + value.length * 2;
  if (typeof value === 'boolean') return 1;
  if (value instanceof Uint8Array) return 4 + value.length;
  return 8; // numbers, dates, GUIDs as the SDK sends them
}

/** The entity's size as Azure counts it, and a property over its own limit, if any. */
export function entitySize(entity: Record<string, unknown>): {
  bytes: number;
  oversizedProperty?: string;
} {
  const keys = `${String(entity.partitionKey ?? '')}${String(entity.rowKey ?? '')}`;
  let bytes = 4 + keys.length * 2;
  let oversizedProperty: string | undefined;
  for (const [name, value] of Object.entries(entity)) {
    if (SYSTEM.has(name) || value === undefined) continue;
    const size = valueBytes(value);
    if (size - 4 > MAX_PROPERTY_BYTES) oversizedProperty ??= name;
    bytes += 8 + name.length * 2 + size;
  }
  return { bytes, ...(oversizedProperty ? { oversizedProperty } : {}) };
}

function check(entity: Record<string, unknown>): void {
  const { bytes, oversizedProperty } = entitySize(entity);
  if (oversizedProperty) {
    throw Object.assign(new Error(`PropertyValueTooLarge: ${oversizedProperty}`), {
      name: 'RestError',
      statusCode: 400,
    });
  }
  if (bytes > MAX_ENTITY_BYTES) {
    throw Object.assign(new Error(`EntityTooLarge: ${bytes} bytes`), {
      name: 'RestError',
      statusCode: 413,
    });
  }
}

/** The table, refusing writes Azure would refuse. */
export function withAzureLimits(table: TableClient): TableClient {
  const writes: Record<string, (args: unknown[]) => void> = {
    createEntity: ([entity]) => check(entity as Record<string, unknown>),
    upsertEntity: ([entity]) => check(entity as Record<string, unknown>),
    updateEntity: ([entity]) => check(entity as Record<string, unknown>),
    submitTransaction: ([actions]) => {
      for (const action of actions as [string, Record<string, unknown>][]) {
        if (action[0] !== 'delete') check(action[1]);
      }
    },
  };
  return new Proxy(table, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const checkWrite = writes[String(property)];
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      return checkWrite
        ? (...args: unknown[]) => {
            checkWrite(args);
            return method(...args);
          }
        : method;
    },
  });
}
