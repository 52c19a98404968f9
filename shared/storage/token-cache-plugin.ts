/**
 * MSAL token cache persisted in Azure Table Storage, so a rotated refresh token survives restarts
 * and every instance of the app shares it. One entity holds the serialized cache.
 */
import type { TableClient } from '@azure/data-tables';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { fromChunks, toChunks, type ChunkedText } from './chunked-text';
import { ensureTable, isStatus } from './ensure-table';

export interface TokenCacheEntityKey {
  partitionKey: string;
  rowKey: string;
}

type CacheEntity = TokenCacheEntityKey & ChunkedText;

export class TableTokenCachePlugin implements ICachePlugin {
  private loadedEtag: string | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly key: TokenCacheEntityKey,
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    await ensureTable(this.table);
    let entity: CacheEntity;
    try {
      entity = await this.table.getEntity<CacheEntity>(this.key.partitionKey, this.key.rowKey);
    } catch (error) {
      if (isStatus(error, 404)) return;
      throw error;
    }
    // Unchanged since we last loaded or wrote it: MSAL's in-memory copy is current.
    const etag = (entity as { etag?: string }).etag;
    if (etag !== undefined && etag === this.loadedEtag) return;
    const serialized = fromChunks(entity);
    if (serialized !== undefined) context.tokenCache.deserialize(serialized);
    this.loadedEtag = etag;
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    const entity: CacheEntity = { ...this.key, ...toChunks(context.tokenCache.serialize()) };
    // Last writer wins: every instance's refresh token is valid, so any complete cache will do.
    const result = await this.table.upsertEntity(entity, 'Replace');
    this.loadedEtag = result.etag;
  }
}
