/**
 * Subscriptions to referral changes, and the deliveries of each, in Table Storage. One partition
 * holds the subscriptions (a few per flow, read whole for each event); each subscription's
 * deliveries sit in a partition of their own, one row per event, so a repeated delivery of an
 * event updates its row and a receiver's history reads as one query.
 */
import type { TableClient } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { callerRecordOf, type CallerRecord } from '../../contract/caller';
import type { Delivery, SubscriptionFilter } from '../../contract/subscription';
import { ensureTable, entityOrUndefined, isStatus } from './ensure-table';

const SUBSCRIPTIONS = 'subscription';
const deliveriesOf = (subscriptionId: string) => `deliveries-${subscriptionId}`;

export interface StoredSubscription extends CallerRecord {
  id: string;
  notificationUrl: string;
  events: string[];
  filter?: SubscriptionFilter;
  createdAt: string;
  /** The subscriber read everything when it subscribed (Referrals.Read.All). */
  seesAll?: boolean;
}

interface SubscriptionEntity extends CallerRecord {
  partitionKey: string;
  rowKey: string;
  notificationUrl: string;
  events: string;
  filter?: string;
  createdAt: string;
  seesAll?: boolean;
}

type DeliveryEntity = Omit<Delivery, 'lastFailure'> & {
  partitionKey: string;
  rowKey: string;
  lastFailure?: string;
};

function toSubscription(entity: SubscriptionEntity): StoredSubscription {
  return {
    id: entity.rowKey,
    ...callerRecordOf(entity),
    notificationUrl: entity.notificationUrl,
    events: JSON.parse(entity.events) as string[],
    ...(entity.filter ? { filter: JSON.parse(entity.filter) as SubscriptionFilter } : {}),
    createdAt: entity.createdAt,
    ...(entity.seesAll ? { seesAll: true } : {}),
  };
}

export class SubscriptionStore {
  constructor(private readonly table: TableClient) {}

  async create(subscription: StoredSubscription): Promise<void> {
    await ensureTable(this.table);
    const entity: SubscriptionEntity = {
      partitionKey: SUBSCRIPTIONS,
      rowKey: subscription.id,
      ...callerRecordOf(subscription),
      notificationUrl: subscription.notificationUrl,
      events: JSON.stringify(subscription.events),
      ...(subscription.filter ? { filter: JSON.stringify(subscription.filter) } : {}),
      createdAt: subscription.createdAt,
      ...(subscription.seesAll ? { seesAll: true } : {}),
    };
    await this.table.createEntity(entity);
  }

  async get(id: string): Promise<StoredSubscription | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<SubscriptionEntity>(this.table, {
      partitionKey: SUBSCRIPTIONS,
      rowKey: id,
    });
    return entity && toSubscription(entity);
  }

  /** Every subscription (each event is matched against all of them). */
  async list(): Promise<StoredSubscription[]> {
    await ensureTable(this.table);
    const found: StoredSubscription[] = [];
    const rows = this.table.listEntities<SubscriptionEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${SUBSCRIPTIONS}` },
    });
    for await (const row of rows) found.push(toSubscription(row));
    return found;
  }

  /** Removes the subscription; its deliveries stay until the retention purge. */
  async delete(id: string): Promise<boolean> {
    await ensureTable(this.table);
    try {
      await this.table.deleteEntity(SUBSCRIPTIONS, id);
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return false;
      throw error;
    }
  }

  async recordDelivery(subscriptionId: string, delivery: Delivery): Promise<void> {
    await ensureTable(this.table);
    const entity: DeliveryEntity = {
      partitionKey: deliveriesOf(subscriptionId),
      rowKey: delivery.eventId,
      ...delivery,
    };
    await this.table.upsertEntity(entity, 'Replace');
  }

  async delivery(subscriptionId: string, eventId: string): Promise<Delivery | undefined> {
    await ensureTable(this.table);
    const entity = await entityOrUndefined<DeliveryEntity>(this.table, {
      partitionKey: deliveriesOf(subscriptionId),
      rowKey: eventId,
    });
    return entity && toDelivery(entity);
  }

  /** The subscription's latest deliveries, newest first. */
  async deliveries(subscriptionId: string, limit = 20): Promise<Delivery[]> {
    await ensureTable(this.table);
    const found: Delivery[] = [];
    const rows = this.table.listEntities<DeliveryEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${deliveriesOf(subscriptionId)}` },
    });
    for await (const row of rows) found.push(toDelivery(row));
    return found.sort((a, b) => b.lastAttemptAt.localeCompare(a.lastAttemptAt)).slice(0, limit);
  }
}

function toDelivery(entity: DeliveryEntity): Delivery {
  return {
    eventId: entity.eventId,
    eventName: entity.eventName,
    referralId: entity.referralId,
    state: entity.state,
    attempts: entity.attempts,
    lastAttemptAt: entity.lastAttemptAt,
    ...(entity.lastFailure ? { lastFailure: entity.lastFailure } : {}),
  };
}
