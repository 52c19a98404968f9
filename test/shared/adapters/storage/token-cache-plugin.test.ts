/**
 * The persisted MSAL cache holds the integration user's refresh token: it is stored sealed, read
 * back under the current or an earlier key, and re-sealed under the current key after a rotation.
 */
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { TokenCacheContext } from '@azure/msal-node';
import { ConfigurationError } from '../../../../shared/config';
import { fromChunks, toChunks } from '../../../../shared/adapters/storage/chunked-text';
import { KeyRing } from '../../../../shared/adapters/storage/sealed-text';
import { TableTokenCachePlugin } from '../../../../shared/adapters/storage/token-cache-plugin';
import { testTable } from '../../../support/tables';

const KEY = { partitionKey: 'tenant', rowKey: 'client' };
const CACHE = JSON.stringify({ RefreshToken: { one: { secret: 'rt.the-refresh-token' } } });
const newKey = () => randomBytes(32).toString('base64');

/** The part of MSAL's cache context the plugin uses. */
function context(serialized = CACHE, changed = true) {
  let loaded: string | undefined;
  const ctx = {
    cacheHasChanged: changed,
    tokenCache: {
      serialize: () => serialized,
      deserialize: (text: string) => {
        loaded = text;
      },
    },
  };
  return { ctx: ctx as unknown as TokenCacheContext, loaded: () => loaded };
}

async function stored(table: TableClient): Promise<string> {
  return fromChunks(await table.getEntity(KEY.partitionKey, KEY.rowKey)) ?? '';
}

let table: TableClient;
beforeEach(async () => {
  table = testTable('sealedcache');
  await table.createTable();
});

test('the stored cache is sealed: no refresh token in the table', async () => {
  const ring = new KeyRing(newKey());
  await new TableTokenCachePlugin(table, KEY, ring).afterCacheAccess(context().ctx);
  const text = await stored(table);
  expect(text).toMatch(/^aes256gcm:/);
  expect(text).not.toContain('rt.the-refresh-token');

  const read = context();
  await new TableTokenCachePlugin(table, KEY, ring).beforeCacheAccess(read.ctx);
  expect(read.loaded()).toBe(CACHE);
});

test('after a key rotation the cache is read with the old key and re-sealed with the new', async () => {
  const old = newKey();
  await new TableTokenCachePlugin(table, KEY, new KeyRing(old)).afterCacheAccess(context().ctx);
  const current = newKey();
  const rotated = new KeyRing(current, [old]);
  const plugin = new TableTokenCachePlugin(table, KEY, rotated);
  const read = context(CACHE, false);
  await plugin.beforeCacheAccess(read.ctx);
  expect(read.loaded()).toBe(CACHE);
  await plugin.afterCacheAccess(read.ctx); // unchanged, but sealed with the old key: rewritten
  expect((await stored(table)).split(':')[1]).toBe(rotated.currentId);
  // Once re-sealed, the old key can be dropped from the settings.
  const withoutOld = context();
  await new TableTokenCachePlugin(table, KEY, new KeyRing(current)).beforeCacheAccess(
    withoutOld.ctx,
  );
  expect(withoutOld.loaded()).toBe(CACHE);
});

test('a cache sealed with a key no longer configured is a configuration error', async () => {
  await new TableTokenCachePlugin(table, KEY, new KeyRing(newKey())).afterCacheAccess(
    context().ctx,
  );
  const other = new TableTokenCachePlugin(table, KEY, new KeyRing(newKey()));
  await expect(other.beforeCacheAccess(context().ctx)).rejects.toThrow(ConfigurationError);
  await expect(other.beforeCacheAccess(context().ctx)).rejects.toThrow(
    /TOKEN_CACHE_PREVIOUS_KEYS.*npm run consent/,
  );
});

test('a cache that is not in the sealed form is a configuration error, not read', async () => {
  await table.upsertEntity({ ...KEY, ...toChunks(CACHE) }, 'Replace');
  const plugin = new TableTokenCachePlugin(table, KEY, new KeyRing(newKey()));
  const read = context(CACHE, false);
  await expect(plugin.beforeCacheAccess(read.ctx)).rejects.toThrow(/TOKEN_CACHE_ENCRYPTION_KEY/);
  expect(read.loaded()).toBeUndefined();
});
