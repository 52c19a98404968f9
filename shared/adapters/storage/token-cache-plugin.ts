/**
 * MSAL token cache persisted in Azure Table Storage, so a rotated refresh token survives restarts
 * and every instance of the app shares it. One entity holds the serialized cache, encrypted with
 * AES-256-GCM (it holds the integration user's refresh token).
 */
import type { TableClient } from '@azure/data-tables';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { fromChunks, toChunks, type ChunkedText } from './chunked-text';
import { ConfigurationError } from '../../config';
import { ensureTable, isStatus } from './ensure-table';
import { isSealed, seal, sealedWith, SealedTextError, unseal, type KeyRing } from './sealed-text';

export interface TokenCacheEntityKey {
  partitionKey: string;
  rowKey: string;
}

type CacheEntity = TokenCacheEntityKey & ChunkedText;

export class TableTokenCachePlugin implements ICachePlugin {
  private loadedEtag: string | undefined;
  /** Stored in plain text or under an earlier key: written again at the next access. */
  private rewrite = false;

  constructor(
    private readonly table: TableClient,
    private readonly key: TokenCacheEntityKey,
    private readonly ring: KeyRing,
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
    const stored = fromChunks(entity);
    if (stored !== undefined) context.tokenCache.deserialize(this.open(stored));
    this.loadedEtag = etag;
  }

  private open(stored: string): string {
    if (!isSealed(stored)) {
      this.rewrite = true; // written before encryption at rest: encrypt it now
      return stored;
    }
    this.rewrite = sealedWith(stored) !== this.ring.currentId;
    try {
      return unseal(stored, this.ring);
    } catch (error) {
      if (!(error instanceof SealedTextError)) throw error;
      throw new ConfigurationError([
        `TOKEN_CACHE_ENCRYPTION_KEY: ${error.message}; configure that key in TOKEN_CACHE_PREVIOUS_KEYS, or sign in again with npm run consent`,
      ]);
    }
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged && !this.rewrite) return;
    const sealed = seal(context.tokenCache.serialize(), this.ring);
    const entity: CacheEntity = { ...this.key, ...toChunks(sealed) };
    // Last writer wins: every instance's refresh token is valid, so any complete cache will do.
    const result = await this.table.upsertEntity(entity, 'Replace');
    this.loadedEtag = result.etag;
    this.rewrite = false;
  }
}
