import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import {
  IdempotencyStore,
  type NewReservation,
} from '../../../../shared/adapters/storage/idempotency-store';
import { tableClient } from '../../../../shared/adapters/storage/tables';
import {
  EntityTooLarge,
  MAX_CHUNKED_CHARS,
} from '../../../../shared/adapters/storage/chunked-text';
import { MAX_REFERRAL_JSON_CHARS } from '../../../../shared/application/create-referral';
import type { Settings } from '../../../../shared/config';
import { testTable } from '../../../support/tables';

const DAY = 86400000;
let clock = new Date('2026-11-24T10:00:00Z');
const table = testTable('idem');
const store = new IdempotencyStore(table, () => clock);

beforeEach(() => {
  clock = new Date('2026-11-24T10:00:00Z');
});

function reservation(overrides: Partial<NewReservation> = {}): NewReservation {
  return {
    key: randomUUID(),
    caller: 'flow-a',
    requestHash: 'hash-1',
    upstreamRequestId: randomUUID(),
    correlationId: 'corr',
    leaseMs: 60000,
    ttlMs: 30 * DAY,
    ...overrides,
  };
}

test('a key is reserved once; the second reservation sees the first record', async () => {
  const first = reservation();
  const a = await store.reserve(first);
  const b = await store.reserve({
    ...first,
    upstreamRequestId: randomUUID(),
    requestHash: 'other',
  });

  expect(a.reserved).toBe(true);
  expect(b.reserved).toBe(false);
  expect(b.record).toMatchObject({
    state: 'pending',
    requestHash: 'hash-1',
    upstreamRequestId: first.upstreamRequestId,
    caller: 'flow-a',
  });
  expect(b.record.expiresAt.getTime() - b.record.createdAt.getTime()).toBe(30 * DAY);
});

test('concurrent reservations of one key: exactly one wins', async () => {
  const base = reservation();
  const results = await Promise.all(
    Array.from({ length: 10 }, () => store.reserve({ ...base, upstreamRequestId: randomUUID() })),
  );
  expect(results.filter((r) => r.reserved)).toHaveLength(1);
});

test('keys are scoped per caller', async () => {
  const key = randomUUID();
  expect((await store.reserve(reservation({ key, caller: 'flow-a' }))).reserved).toBe(true);
  expect((await store.reserve(reservation({ key, caller: 'flow-b' }))).reserved).toBe(true);
});

test('the outcome is stored and read back, also when it is larger than one table property', async () => {
  const { record } = await store.reserve(reservation());
  const body = { id: 'r1', notes: 'n'.repeat(70000) };
  expect(
    await store.complete(record, { status: 201, body, referralId: 'r1', engagementId: 'e1' }),
  ).toBe(true);

  const read = await store.get(record.caller, record.key);
  expect(read?.state).toBe('completed');
  expect(read?.outcome).toEqual({ status: 201, body, referralId: 'r1', engagementId: 'e1' });
});

test('writes with a stale ETag lose: only one of two holders records an outcome', async () => {
  const { record } = await store.reserve(reservation());
  clock = new Date(clock.getTime() + 120000); // lease over
  const taken = await store.takeOver(record, 'corr-2', 60000);
  if (!taken) throw new Error('the expired lease should be taken over');

  expect(await store.complete(record, { status: 201, body: { id: 'stale' } })).toBe(false);
  expect(await store.takeOver(record, 'corr-3', 60000)).toBeUndefined();
  expect(await store.complete(taken, { status: 201, body: { id: 'fresh' } })).toBe(true);
  expect((await store.get(record.caller, record.key))?.outcome?.body).toEqual({ id: 'fresh' });
});

test('release ends the lease but keeps the upstream request id; remove forgets the key', async () => {
  const { record } = await store.reserve(reservation());
  await store.release(record);
  const released = await store.get(record.caller, record.key);
  expect(released?.leaseUntil.getTime()).toBeLessThanOrEqual(clock.getTime());
  expect(released?.upstreamRequestId).toBe(record.upstreamRequestId);

  if (!released) throw new Error('the released record should still exist');
  await store.remove(released);
  expect(await store.get(record.caller, record.key)).toBeUndefined();
});

test('an expired record no longer holds its key, and the purge deletes expired ones', async () => {
  const old = reservation({ ttlMs: DAY });
  await store.reserve(old);
  const kept = reservation({ ttlMs: 30 * DAY });
  await store.reserve(kept);
  clock = new Date(clock.getTime() + 2 * DAY);

  const again = await store.reserve({
    ...old,
    requestHash: 'new',
    upstreamRequestId: randomUUID(),
  });
  expect(again.reserved).toBe(true);

  const stale = reservation({ ttlMs: DAY });
  await store.reserve(stale);
  clock = new Date(clock.getTime() + 2 * DAY);
  expect(await store.purgeExpired()).toBeGreaterThanOrEqual(2);
  expect(await store.get(stale.caller, stale.key)).toBeUndefined();
  expect(await store.get(kept.caller, kept.key)).toBeDefined();
});

/** The table, with `onListed` run for each listed entity before the lister sees it. */
function changingAfterListing(table: TableClient, onListed: () => Promise<void>): TableClient {
  return new Proxy(table, {
    get(target, property, receiver) {
      if (property === 'listEntities') {
        return (...args: Parameters<TableClient['listEntities']>) =>
          (async function* () {
            for await (const entity of target.listEntities(...args)) {
              await onListed();
              yield entity;
            }
          })();
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

test('the purge leaves a record reserved anew after it was listed (it deletes by ETag)', async () => {
  const old = reservation({ ttlMs: DAY });
  let renewed = false;
  const racy: IdempotencyStore = new IdempotencyStore(
    changingAfterListing(testTable('idem'), async () => {
      // Between the purge's listing and its delete, a request reserves the expired key afresh.
      if (renewed) return;
      renewed = true;
      await racy.reserve({ ...old, requestHash: 'new', upstreamRequestId: randomUUID() });
    }),
    () => clock,
  );
  await racy.reserve(old);
  clock = new Date(clock.getTime() + 2 * DAY);

  expect(await racy.purgeExpired()).toBe(0);
  expect((await racy.get(old.caller, old.key))?.requestHash).toBe('new');
});

test('a table deleted while the gateway runs is created again on its next use', async () => {
  const connectionString = process.env.TEST_TABLES_CONNECTION_STRING ?? '';
  const name = `lost${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const client = tableClient({ AzureWebJobsStorage: connectionString } as Settings, name);
  const lostStore = new IdempotencyStore(client, () => clock);
  expect((await lostStore.reserve(reservation())).reserved).toBe(true);

  await client.deleteTable();
  // The first use after the loss fails with the service's TableNotFound; the next creates it.
  await lostStore.reserve(reservation()).catch(() => undefined);
  expect((await lostStore.reserve(reservation())).reserved).toBe(true);
});

test("an outcome as large as the gateway takes fits Azure's entity limits; more is refused before writing", async () => {
  const { reserved, record } = await store.reserve(reservation());
  expect(reserved).toBe(true);
  const largest = { name: 'x'.repeat(MAX_REFERRAL_JSON_CHARS) };
  // testTable enforces Azure's 1 MiB entity and 64 KiB property limits, which Azurite does not.
  await expect(store.complete(record, { status: 201, body: largest })).resolves.toBe(true);

  const other = await store.reserve(reservation());
  const tooLarge = { name: 'x'.repeat(MAX_CHUNKED_CHARS) };
  await expect(store.complete(other.record, { status: 201, body: tooLarge })).rejects.toThrow(
    EntityTooLarge,
  );
});

test("a lease is judged by the storage service's clock, not by a reader's clock running ahead", async () => {
  const table = testTable('idem');
  const writer = new IdempotencyStore(table, () => new Date());
  const aheadBy30s = new IdempotencyStore(table, () => new Date(Date.now() + 30000));
  const pending = reservation({ leaseMs: 20000 });
  await writer.reserve(pending);

  // By its own clock the lease ended 10 s ago; by the service's it has about 20 s left.
  const seen = await aheadBy30s.get(pending.caller, pending.key);
  expect(seen?.leaseLeftMs).toBeGreaterThan(15000);

  const short = reservation({ leaseMs: 500 });
  await writer.reserve(short);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  expect((await writer.get(short.caller, short.key))?.leaseLeftMs).toBe(0);
});
