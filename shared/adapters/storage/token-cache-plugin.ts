/**
 * MSAL token cache persisted in Azure Table Storage, so a rotated refresh token survives restarts
 * and every instance of the app shares it. One entity holds the serialized cache, encrypted with
 * AES-256-GCM (it holds the integration user's refresh token).
 */
import type { TableClient } from '@azure/data-tables';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { fromChunks, toChunks, type ChunkedText } from './chunked-text';
import { ConfigurationError } from '../../config';
import { ensureTable, entityOrUndefined } from './ensure-table';
import { seal, sealedWith, SealedTextError, unseal, type KeyRing } from './sealed-text';

export interface TokenCacheEntityKey {
  partitionKey: string;
  rowKey: string;
}

type CacheEntity = TokenCacheEntityKey & ChunkedText;

export class TableTokenCachePlugin implements ICachePlugin {
  private loadedEtag: string | undefined;
  /** Sealed with an earlier key: written again under the current one at the next access. */
  private rewrite = false;

  constructor(
    private readonly table: TableClient,
    private readonly key: TokenCacheEntityKey,
    private readonly ring: KeyRing,
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<CacheEntity>(this.table, this.key);
    if (!entity) return;
    // Unchanged since we last loaded or wrote it: MSAL's in-memory copy is current.
    const etag = entity.etag;
    if (etag === this.loadedEtag) return;
    const stored = fromChunks(entity);
    if (stored !== undefined) context.tokenCache.deserialize(this.open(stored));
    this.loadedEtag = etag;
  }

  private open(stored: string): string {
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

  /**
   * When the cache was last written: every refresh rotates the integration user's refresh token
   * and so rewrites it, so this is when the sign-in was last renewed.
   */
  async lastWrittenAt(): Promise<Date | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<CacheEntity>(this.table, this.key);
    return entity?.timestamp ? new Date(entity.timestamp) : undefined;
  }

  /** The sign-in was found dead (revoked or expired), told to every instance through the table. */
  async recordSignInLost(at: Date): Promise<void> {
    await ensureTable(this.table);
    await this.table.upsertEntity({ ...this.lostKey(), lostAt: at.toISOString() }, 'Replace');
  }

  /** When the sign-in was last found dead, if it was. */
  async signInLostAt(): Promise<Date | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<{ lostAt?: string }>(this.table, this.lostKey());
    return entity?.lostAt ? new Date(entity.lostAt) : undefined;
  }

  private lostKey(): TokenCacheEntityKey {
    return { partitionKey: this.key.partitionKey, rowKey: `${this.key.rowKey}-signin-lost` };
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
