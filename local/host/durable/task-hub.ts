/**
 * The local task hub in Table Storage (Azurite): one partition per orchestration instance holding
 * its state row, its history events and its inbox of messages not yet applied. An episode's
 * outcome (new events, new state, consumed messages) is committed in one transaction, so a host
 * killed at any point restarts from a consistent instance.
 */
import { randomBytes } from 'node:crypto';
import { TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { fromChunks, toChunks } from '../../../shared/adapters/storage/chunked-text';
import type { ScheduledTask } from './extension-rules';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated';

const RUNNING_STATUSES: readonly RuntimeStatus[] = ['Pending', 'Running'];

export const isRunning = (status: RuntimeStatus): boolean => RUNNING_STATUSES.includes(status);

export interface RetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface ActivityCall {
  name: string;
  /** As JSON text. */
  input: string | undefined;
  attempt: number;
  firstAttemptAt: string;
  retry?: RetryOptions;
}

/** Work the instance waits for: an activity running, or a timer due. */
export type PendingWork =
  | ({
      kind: 'activity';
      eventId: number;
      /** When its message was sent (a restart waits out the visibility timeout from here). */
      sentAt?: string;
    } & ActivityCall)
  | {
      kind: 'timer';
      eventId: number;
      fireAt: string;
      /** `retry`/`retriesExhausted`: the extension's own timer between activity attempts. */
      purpose: 'user' | 'retry' | 'retriesExhausted';
      activity?: ActivityCall;
    };

export type Message =
  | { kind: 'start' }
  | { kind: 'activityCompleted'; eventId: number; result: string | undefined }
  | { kind: 'activityFailed'; eventId: number; reason: string; details: string }
  | { kind: 'timerFired'; eventId: number }
  | { kind: 'eventRaised'; name: string; input: unknown }
  | { kind: 'terminate'; reason: string };

export interface InstanceState {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  nextEventId: number;
  actionsScheduled: number;
  /** What the orchestrator scheduled, in order, for the replay check (absent in older states). */
  scheduled?: ScheduledTask[];
  pending: PendingWork[];
}

export interface StoredMessage {
  rowKey: string;
  message: Message;
}

export interface LoadedInstance {
  state: InstanceState;
  history: Record<string, unknown>[];
  inbox: StoredMessage[];
}

const STATE_ROW = 'state';
const historyRow = (index: number) => `h${String(index).padStart(8, '0')}`;
const BATCH_LIMIT = 100;

type Row = TableEntity<Record<string, unknown>>;

export class TaskHubStore {
  private readonly table: TableClient;
  private created: Promise<void> | undefined;

  constructor(connectionString: string, hubName: string) {
    this.table = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, {
      allowInsecureConnection: /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(
        connectionString,
      ),
    });
  }

  /** Creates the table once; a failed creation is tried again on the next call, not kept. */
  private ready(): Promise<void> {
    this.created ??= this.table.createTable().then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined;
        throw error;
      },
    );
    return this.created;
  }

  private async rows(instanceId: string, prefix?: string): Promise<Row[]> {
    await this.ready();
    const filter =
      `PartitionKey eq '${instanceId.replace(/'/g, "''")}'` +
      (prefix ? ` and RowKey ge '${prefix}' and RowKey lt '${prefix}~'` : '');
    const rows: Row[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter },
    })) {
      rows.push({ ...row, partitionKey: instanceId, rowKey: row.rowKey ?? '' });
    }
    return rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
  }

  async state(instanceId: string): Promise<InstanceState | undefined> {
    await this.ready();
    try {
      const row = await this.table.getEntity<Record<string, unknown>>(instanceId, STATE_ROW);
      return parse<InstanceState>(row);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async load(instanceId: string): Promise<LoadedInstance | undefined> {
    const rows = await this.rows(instanceId);
    const stateRow = rows.find((r) => r.rowKey === STATE_ROW);
    if (!stateRow) return undefined;
    return {
      state: parse<InstanceState>(stateRow),
      history: rows.filter((r) => r.rowKey.startsWith('h')).map((r) => parse(r)),
      inbox: rows
        .filter((r) => r.rowKey.startsWith('m'))
        .map((r) => ({ rowKey: r.rowKey, message: parse<Message>(r) })),
    };
  }

  async history(instanceId: string): Promise<Record<string, unknown>[]> {
    return (await this.rows(instanceId, 'h')).map((r) => parse(r));
  }

  async list(): Promise<InstanceState[]> {
    await this.ready();
    const states: InstanceState[] = [];
    for await (const row of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `RowKey eq '${STATE_ROW}'` },
    })) {
      states.push(parse<InstanceState>(row));
    }
    return states;
  }

  /** A new instance (any earlier one with the id removed), with its start message queued. */
  async create(state: InstanceState): Promise<void> {
    await this.purge(state.instanceId);
    await this.submit([
      ['create', row(state.instanceId, STATE_ROW, state)],
      ['create', row(state.instanceId, messageRowKey(), { kind: 'start' } satisfies Message)],
    ]);
  }

  async send(instanceId: string, message: Message): Promise<void> {
    await this.ready();
    await this.table.createEntity(row(instanceId, messageRowKey(), message));
  }

  /** One episode: the events it added, the state after it, the messages it applied. */
  async commit(
    state: InstanceState,
    historyLength: number,
    events: Record<string, unknown>[],
    consumed: string[],
  ): Promise<void> {
    const id = state.instanceId;
    await this.submit([
      ...events.map((event, i): TransactionAction => [
        'create',
        row(id, historyRow(historyLength + i), event),
      ]),
      ...consumed.map((rowKey): TransactionAction => ['delete', { partitionKey: id, rowKey }]),
      ['upsert', row(id, STATE_ROW, state), 'Replace'],
    ]);
  }

  /** Removes the instance with its history; false when there was none. */
  async purge(instanceId: string): Promise<boolean> {
    const rows = await this.rows(instanceId);
    await this.submit(
      rows.map((r): TransactionAction => [
        'delete',
        { partitionKey: instanceId, rowKey: r.rowKey },
      ]),
    );
    return rows.length > 0;
  }

  /** Within one partition; more than a batch holds is split, the state row going last. */
  private async submit(actions: TransactionAction[]): Promise<void> {
    await this.ready();
    for (let i = 0; i < actions.length; i += BATCH_LIMIT) {
      await this.table.submitTransaction(actions.slice(i, i + BATCH_LIMIT));
    }
  }
}

let messageCounter = 0;
/** Inbox rows sort in arrival order. */
function messageRowKey(): string {
  messageCounter = (messageCounter + 1) % 1e6;
  return `m${String(Date.now()).padStart(15, '0')}${String(messageCounter).padStart(6, '0')}${randomBytes(3).toString('hex')}`;
}

function row(partitionKey: string, rowKey: string, value: unknown): Row {
  return { partitionKey, rowKey, ...toChunks(JSON.stringify(value)) };
}

function parse<T = Record<string, unknown>>(entity: Record<string, unknown>): T {
  return JSON.parse(fromChunks(entity) ?? 'null') as T;
}
