/**
 * MSAL token cache persisted in Azure Table Storage, so a rotated refresh token survives restarts
 * and every instance of the app shares it. One entity holds the serialized cache, split across
 * properties because one string property holds at most 32K characters.
 */
import type { TableClient } from '@azure/data-tables';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

const CHUNK_CHARS = 30000;
const MAX_CHUNKS = 30;

export interface TokenCacheEntityKey {
  partitionKey: string;
  rowKey: string;
}

type CacheEntity = TokenCacheEntityKey & { chunks: number } & Record<string, unknown>;

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

export class TableTokenCachePlugin implements ICachePlugin {
  private loadedEtag: string | undefined;
  private tableReady: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly key: TokenCacheEntityKey,
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    await this.ensureTable();
    let entity: CacheEntity;
    try {
      entity = await this.table.getEntity<CacheEntity>(this.key.partitionKey, this.key.rowKey);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    // Unchanged since we last loaded or wrote it: MSAL's in-memory copy is current.
    const etag = (entity as { etag?: string }).etag;
    if (etag !== undefined && etag === this.loadedEtag) return;
    const parts: string[] = [];
    for (let i = 0; i < entity.chunks; i++) parts.push(String(entity[`chunk${i}`] ?? ''));
    context.tokenCache.deserialize(parts.join(''));
    this.loadedEtag = etag;
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    const serialized = context.tokenCache.serialize();
    const chunks = Math.ceil(serialized.length / CHUNK_CHARS);
    if (chunks > MAX_CHUNKS) throw new Error('The MSAL token cache is too large to persist');
    const entity: CacheEntity = { ...this.key, chunks };
    for (let i = 0; i < chunks; i++) {
      entity[`chunk${i}`] = serialized.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
    }
    // Last writer wins: every instance's refresh token is valid, so any complete cache will do.
    const result = await this.table.upsertEntity(entity, 'Replace');
    this.loadedEtag = result.etag;
  }

  private ensureTable(): Promise<void> {
    this.tableReady ??= this.table.createTable().then(
      () => undefined,
      (error: unknown) => {
        this.tableReady = undefined;
        throw error;
      },
    );
    return this.tableReady;
  }
}
