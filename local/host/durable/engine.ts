/**
 * The Durable extension's part, played locally. An orchestrator is run the way the extension runs
 * it: called with its history (events in), it answers with actions (activities, retries, timers);
 * the engine records them as events, runs the activities through their function (the library's
 * own wrappers), and calls the orchestrator again with the outcome, until it is done. Retries of
 * `callActivityWithRetry` are the extension's job, as in Azure: failed attempt, timer, attempt.
 * The extension's rules hold (extension-rules.ts): the custom status limit, replays that must
 * schedule what the history says, activity failures as the orchestrator receives them.
 *
 * State lives in the task hub store, so a restarted host resumes every running instance: pending
 * activities are run again (at least once, as in Azure) and due timers fire. With a queue model
 * (queues.ts) messages arrive with the Azure Storage provider's delays and duplicates.
 */
import { HistoryEventType } from 'durable-functions/lib/src/history/HistoryEventType';
import { ActionType } from 'durable-functions/lib/src/actions/ActionType';
import { NotSupportedByLocalHost, type RegisteredFunction, type TypedData } from '../core-api';
import { errorMessage, fromTypedData, type InvocationOutcome } from '../worker';
import {
  activityFailure,
  customStatusTooLarge,
  replayDivergence,
  type ScheduledTask,
} from './extension-rules';
import { Delivery } from './queues';
import {
  isRunning,
  type ActivityCall,
  type InstanceState,
  type LoadedInstance,
  type Message,
  type PendingWork,
  type RetryOptions,
  type RuntimeStatus,
  type TaskHubStore,
} from './task-hub';

/** The highest out-of-process replay schema this engine speaks (V2: flat action lists). */
const UPPER_SCHEMA_VERSION = 1;
const OUT_OF_PROC_DATA = '$OutOfProcData$:';
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Waits before storage work that failed is tried again: 100 ms, doubling, at most 10 s. */
const STORAGE_RETRY_MS = 100;
const MAX_STORAGE_RETRY_MS = 10000;

/** What the engine needs from the functions host. */
export interface FunctionRunner {
  find(
    name: string,
    triggerType: 'orchestrationTrigger' | 'activityTrigger',
  ): RegisteredFunction | undefined;
  run(fn: RegisteredFunction, trigger: TypedData | undefined): Promise<InvocationOutcome>;
  log(level: 'information' | 'warning' | 'error', message: string): void;
}

interface OrchestratorAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptions;
  fireAt?: string;
  externalEventName?: string;
}

interface OrchestratorAnswer {
  isDone: boolean;
  actions: OrchestratorAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export class InstanceConflict extends Error {}
export class UnknownOrchestrator extends Error {}

export class DurableEngine {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Deliveries waiting for their queue's poll. */
  private readonly waiting = new Set<NodeJS.Timeout>();
  private readonly running = new Set<string>();
  private stopped = false;

  constructor(
    private readonly store: TaskHubStore,
    private readonly functions: FunctionRunner,
    private readonly delivery: Delivery = new Delivery(undefined),
  ) {}

  /**
   * Resumes every instance that was running when the host stopped. With a queue model, as after
   * a crash in Azure: orchestrations once the dead host's lease has expired, activities it had
   * taken once their messages' visibility timeout has passed.
   */
  async resume(): Promise<number> {
    const states = (await this.store.list()).filter((s) => isRunning(s.runtimeStatus));
    const lease = this.delivery.leaseDelay();
    for (const state of states) {
      const loaded = await this.store.load(state.instanceId);
      if (!loaded) continue;
      const answered = new Set(
        loaded.inbox.map((m) => ('eventId' in m.message ? m.message.eventId : -1)),
      );
      for (const work of loaded.state.pending) {
        if (answered.has(work.eventId)) continue;
        const delay =
          work.kind === 'activity'
            ? this.delivery.redeliveryDelay(Date.parse(work.sentAt ?? state.lastUpdatedTime))
            : lease;
        this.later(delay, () => this.dispatch(state.instanceId, work, true));
      }
      if (loaded.inbox.length > 0) this.later(lease, () => this.schedule(state.instanceId));
    }
    return states.length;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const timer of this.waiting) clearTimeout(timer);
    this.waiting.clear();
  }

  /** Runs `work` after `ms` (at once when 0), unless the host stops first. */
  private later(ms: number, work: () => void): void {
    if (ms <= 0) return work();
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      if (!this.stopped) work();
    }, ms);
    this.waiting.add(timer);
  }

  /** An orchestration has a message: it runs once the control queue is polled. */
  private wake(instanceId: string): void {
    this.later(this.delivery.orchestratorDelay(), () => this.schedule(instanceId));
  }

  /** Settles when no episode is running or queued (for an orderly shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Starts (or restarts) an instance; one start at a time per instance id, as in the extension. */
  startNew(name: string, instanceId: string, input: unknown): Promise<InstanceState> {
    return this.exclusive(instanceId, () => this.create(name, instanceId, input));
  }

  private async create(name: string, instanceId: string, input: unknown): Promise<InstanceState> {
    if (!this.functions.find(name, 'orchestrationTrigger')) {
      throw new UnknownOrchestrator(
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      );
    }
    const existing = await this.store.state(instanceId);
    // The app's host.json allows restarting non-running instances only (NonRunningStates).
    if (existing && isRunning(existing.runtimeStatus)) {
      throw new InstanceConflict(
        `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`,
      );
    }
    const now = new Date().toISOString();
    const state: InstanceState = {
      instanceId,
      name,
      runtimeStatus: 'Pending',
      input: input ?? null,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      nextEventId: 0,
      actionsScheduled: 0,
      scheduled: [],
      pending: [],
    };
    await this.store.create(state);
    this.wake(instanceId);
    return state;
  }

  status(instanceId: string): Promise<InstanceState | undefined> {
    return this.store.state(instanceId);
  }

  history(instanceId: string): Promise<Record<string, unknown>[]> {
    return this.store.history(instanceId);
  }

  list(): Promise<InstanceState[]> {
    return this.store.list();
  }

  /** Queues a message for a running instance; undefined when there is no such instance. */
  async send(instanceId: string, message: Message): Promise<RuntimeStatus | undefined> {
    const state = await this.store.state(instanceId);
    if (!state) return undefined;
    if (!isRunning(state.runtimeStatus)) return state.runtimeStatus;
    await this.store.send(instanceId, message);
    this.wake(instanceId);
    return state.runtimeStatus;
  }

  purge(instanceId: string): Promise<boolean> {
    return this.exclusive(instanceId, () => this.store.purge(instanceId));
  }

  /** Work on one instance (start, episode, purge) runs one piece at a time. */
  private exclusive<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(instanceId) ?? Promise.resolve();
    const result = previous.then(work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(instanceId, settled);
    void settled.then(() => {
      if (this.chains.get(instanceId) === settled) this.chains.delete(instanceId);
    });
    return result;
  }

  /**
   * Runs an episode of the instance. One that fails (storage unreachable) is tried again after a
   * growing wait, as the provider leaves the message to reappear: an instance is never stuck
   * until a restart.
   */
  private schedule(instanceId: string, failures = 0): void {
    if (this.stopped) return;
    this.exclusive(instanceId, () => this.episode(instanceId)).catch((error: unknown) => {
      this.functions.log('error', `Durable: instance ${instanceId}: ${errorMessage(error)}`);
      const wait = Math.min(STORAGE_RETRY_MS * 2 ** failures, MAX_STORAGE_RETRY_MS);
      this.later(wait, () => this.schedule(instanceId, failures + 1));
    });
  }

  private async episode(instanceId: string): Promise<void> {
    if (this.stopped) return;
    const loaded = await this.store.load(instanceId);
    if (!loaded) {
      // Purged while it ran: answers that arrive later are dropped, as the provider drops
      // messages for an instance that no longer exists.
      await this.store.purge(instanceId);
      return;
    }
    if (loaded.inbox.length === 0) return;
    const { state, history, inbox } = loaded;
    if (!isRunning(state.runtimeStatus)) {
      // Late answers for an instance that has ended are dropped.
      await this.store.commit(
        state,
        history.length,
        [],
        inbox.map((m) => m.rowKey),
      );
      return;
    }
    const next: InstanceState = { ...state, pending: [...state.pending] };
    if (state.scheduled) next.scheduled = [...state.scheduled];
    const now = new Date();
    const events: Record<string, unknown>[] = [
      event(HistoryEventType.OrchestratorStarted, -1, now),
    ];
    const added: PendingWork[] = [];
    let runOrchestrator = false;
    let terminated = false;

    for (const { message } of inbox) {
      if (message.kind === 'start') {
        events.push(
          event(HistoryEventType.ExecutionStarted, -1, now, {
            Name: state.name,
            Input: JSON.stringify(state.input),
          }),
        );
        runOrchestrator = true;
        continue;
      }
      if (message.kind === 'eventRaised') {
        events.push(
          event(HistoryEventType.EventRaised, -1, now, {
            Name: message.name,
            Input: message.input === undefined ? undefined : JSON.stringify(message.input),
          }),
        );
        runOrchestrator = true;
        continue;
      }
      if (message.kind === 'terminate') {
        events.push(
          event(HistoryEventType.ExecutionTerminated, -1, now, { Input: message.reason }),
        );
        Object.assign(next, { runtimeStatus: 'Terminated', output: message.reason });
        terminated = true;
        break;
      }
      const work = takePending(next, message.eventId);
      if (!work) continue; // already applied (a repeated answer after a restart)
      if (message.kind === 'activityCompleted') {
        events.push(
          event(HistoryEventType.TaskCompleted, -1, now, {
            TaskScheduledId: message.eventId,
            Result: message.result,
          }),
        );
        runOrchestrator = true;
      } else if (message.kind === 'activityFailed' && work.kind === 'activity') {
        events.push(
          event(HistoryEventType.TaskFailed, -1, now, {
            TaskScheduledId: message.eventId,
            Reason: message.reason,
            Details: message.details,
          }),
        );
        if (work.retry) {
          // The extension retries: a timer, then the next attempt. After the last attempt the
          // library still expects the timer before it reports the failure.
          const delay = retryDelay(work, now);
          const timer: PendingWork = {
            kind: 'timer',
            eventId: next.nextEventId++,
            fireAt: new Date(now.getTime() + (delay ?? 0)).toISOString(),
            purpose: delay === undefined ? 'retriesExhausted' : 'retry',
            activity: activityCall(work),
          };
          events.push(
            event(HistoryEventType.TimerCreated, timer.eventId, now, { FireAt: timer.fireAt }),
          );
          added.push(timer);
        } else {
          runOrchestrator = true;
        }
      } else if (message.kind === 'timerFired' && work.kind === 'timer') {
        events.push(
          event(HistoryEventType.TimerFired, -1, now, {
            TimerId: work.eventId,
            FireAt: work.fireAt,
          }),
        );
        if (work.purpose === 'retry' && work.activity) {
          const attempt: PendingWork = {
            kind: 'activity',
            eventId: next.nextEventId++,
            ...work.activity,
            attempt: work.activity.attempt + 1,
          };
          events.push(scheduledEvent(attempt, now));
          added.push(attempt);
        } else {
          runOrchestrator = true;
        }
      }
    }

    if (runOrchestrator && !terminated) {
      await this.runOrchestrator(loaded, next, events, added, now);
    }
    events.push(event(HistoryEventType.OrchestratorCompleted, -1, now));
    // An ended instance waits for nothing more.
    const running = isRunning(next.runtimeStatus);
    for (const work of added) if (work.kind === 'activity') work.sentAt = now.toISOString();
    next.pending = running ? [...next.pending, ...added] : [];
    next.lastUpdatedTime = now.toISOString();
    await this.store.commit(
      next,
      history.length,
      events,
      inbox.map((m) => m.rowKey),
    );
    if (running) {
      for (const work of added) this.dispatch(instanceId, work);
    } else {
      this.functions.log(
        'information',
        `Durable: instance ${instanceId} ${next.runtimeStatus.toLowerCase()}`,
      );
    }
  }

  private async runOrchestrator(
    loaded: LoadedInstance,
    next: InstanceState,
    events: Record<string, unknown>[],
    added: PendingWork[],
    now: Date,
  ): Promise<void> {
    const { state, history } = loaded;
    const fn = this.functions.find(state.name, 'orchestrationTrigger');
    const fail = (output: string) => {
      events.push(event(HistoryEventType.ExecutionFailed, -1, now, { Reason: output }));
      Object.assign(next, { runtimeStatus: 'Failed', output });
    };
    if (!fn) return fail(`The orchestrator function '${state.name}' is not registered.`);
    const binding = {
      history: [
        ...history.map((e) => ({ ...e, IsPlayed: true })),
        ...events.map((e) => ({ ...e, IsPlayed: false })),
      ],
      input: state.input,
      instanceId: state.instanceId,
      isReplaying: history.length > 0,
      parentInstanceId: null,
      upperSchemaVersion: UPPER_SCHEMA_VERSION,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '6.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    const outcome = await this.functions.run(fn, { string: JSON.stringify(binding) });
    let answer: OrchestratorAnswer;
    if (outcome.ok) {
      answer = fromTypedData(outcome.response.returnValue) as OrchestratorAnswer;
    } else {
      // As the extension does: the library puts its state after a marker in the error message.
      const message = errorMessage(outcome.error);
      const at = message.indexOf(OUT_OF_PROC_DATA);
      if (at < 0) return fail(`Orchestrator function '${state.name}' failed: ${message}`);
      answer = JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorAnswer;
    }
    const actions = answer.actions.flat();
    const replayed = actions.flatMap(scheduledBy);
    if (next.scheduled) {
      // An orchestrator that failed part-way scheduled only what came before its failure.
      const recorded =
        answer.error !== undefined ? next.scheduled.slice(0, replayed.length) : next.scheduled;
      const diverged = replayDivergence(recorded, replayed);
      if (diverged) return fail(diverged);
    }
    const tooLarge = customStatusTooLarge(answer.customStatus);
    if (tooLarge) {
      next.customStatus = null;
      return fail(`Orchestrator function '${state.name}' failed: ${tooLarge}`);
    }
    next.customStatus = answer.customStatus ?? null;
    if (answer.error !== undefined) {
      return fail(`Orchestrator function '${state.name}' failed: ${answer.error}`);
    }
    if (answer.isDone) {
      events.push(
        event(HistoryEventType.ExecutionCompleted, -1, now, {
          Result: JSON.stringify(answer.output ?? null),
        }),
      );
      Object.assign(next, { runtimeStatus: 'Completed', output: answer.output ?? null });
      return;
    }
    next.runtimeStatus = 'Running';
    const record = (task: ScheduledTask) => next.scheduled?.push(task);
    for (const action of actions.slice(next.actionsScheduled)) {
      switch (action.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry: {
          const work: PendingWork = {
            kind: 'activity',
            eventId: next.nextEventId++,
            name: action.functionName ?? '',
            // The library sends string inputs already serialized, other values as they are.
            input: typeof action.input === 'string' ? action.input : JSON.stringify(action.input),
            attempt: 1,
            firstAttemptAt: now.toISOString(),
            ...(action.actionType === ActionType.CallActivityWithRetry && action.retryOptions
              ? { retry: action.retryOptions }
              : {}),
          };
          events.push(scheduledEvent(work, now));
          added.push(work);
          record({ eventId: work.eventId, kind: 'activity', name: work.name });
          break;
        }
        case ActionType.CreateTimer: {
          const work: PendingWork = {
            kind: 'timer',
            eventId: next.nextEventId++,
            fireAt: new Date(action.fireAt ?? now).toISOString(),
            purpose: 'user',
          };
          events.push(
            event(HistoryEventType.TimerCreated, work.eventId, now, { FireAt: work.fireAt }),
          );
          added.push(work);
          record({ eventId: work.eventId, kind: 'timer' });
          break;
        }
        case ActionType.WaitForExternalEvent:
          break; // nothing to do until the event is raised
        default:
          return fail(
            new NotSupportedByLocalHost(
              `The orchestrator action ${ActionType[action.actionType] ?? action.actionType}`,
            ).message,
          );
      }
    }
    next.actionsScheduled = actions.length;
  }

  /** Sends the work on its way: a timer is armed, an activity queued for a worker. */
  private dispatch(instanceId: string, work: PendingWork, redelivered = false): void {
    if (work.kind === 'timer') {
      const key = `${instanceId}/${work.eventId}`;
      const arm = () => {
        const wait = new Date(work.fireAt).getTime() - Date.now();
        const timer = setTimeout(
          () => {
            this.timers.delete(key);
            if (wait > MAX_TIMER_MS) return arm();
            void this.deliver(instanceId, { kind: 'timerFired', eventId: work.eventId });
          },
          Math.max(0, Math.min(wait, MAX_TIMER_MS)),
        );
        this.timers.set(key, timer);
      };
      arm();
      return;
    }
    // At least once: a message can reach a second worker while the first still runs it.
    const copies = !redelivered && this.delivery.deliveredTwice() ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const key = `${instanceId}/${work.eventId}/${copy}`;
      if (this.running.has(key)) continue;
      this.running.add(key);
      this.later(this.delivery.activityDelay(), () => {
        void this.runActivity(instanceId, work).finally(() => this.running.delete(key));
      });
    }
  }

  private async runActivity(
    instanceId: string,
    work: Extract<PendingWork, { kind: 'activity' }>,
  ): Promise<void> {
    const fn = this.functions.find(work.name, 'activityTrigger');
    if (!fn) {
      const failure = activityFailure(work.name, {
        message: `The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`,
      });
      return this.deliver(instanceId, {
        kind: 'activityFailed',
        eventId: work.eventId,
        ...failure,
      });
    }
    const outcome = await this.functions.run(
      fn,
      work.input === undefined ? undefined : { json: work.input },
    );
    if (this.stopped) return; // the answer is lost with the host; it runs again on restart
    if (outcome.ok) {
      const value = fromTypedData(outcome.response.returnValue);
      await this.deliver(instanceId, {
        kind: 'activityCompleted',
        eventId: work.eventId,
        result: value === undefined ? undefined : JSON.stringify(value),
      });
    } else {
      const error =
        outcome.error instanceof Error ? outcome.error : { message: errorMessage(outcome.error) };
      await this.deliver(instanceId, {
        kind: 'activityFailed',
        eventId: work.eventId,
        ...activityFailure(work.name, error),
      });
    }
  }

  /** Queues a message for the instance; while storage fails, tries again after a growing wait. */
  private async deliver(instanceId: string, message: Message, failures = 0): Promise<void> {
    if (this.stopped) return;
    try {
      await this.store.send(instanceId, message);
      this.wake(instanceId);
    } catch (error) {
      this.functions.log('error', `Durable: instance ${instanceId}: ${errorMessage(error)}`);
      const wait = Math.min(STORAGE_RETRY_MS * 2 ** failures, MAX_STORAGE_RETRY_MS);
      this.later(wait, () => void this.deliver(instanceId, message, failures + 1));
    }
  }
}

function event(
  type: HistoryEventType,
  eventId: number,
  at: Date,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    EventType: type,
    EventId: eventId,
    IsPlayed: false,
    Timestamp: at.toISOString(),
    ...fields,
  };
}

function scheduledEvent(work: Extract<PendingWork, { kind: 'activity' }>, at: Date) {
  return event(HistoryEventType.TaskScheduled, work.eventId, at, {
    Name: work.name,
    Input: work.input,
  });
}

/** What an action puts in the history that every replay must schedule again. */
function scheduledBy(action: OrchestratorAction): Omit<ScheduledTask, 'eventId'>[] {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return [{ kind: 'activity', name: action.functionName ?? '' }];
    case ActionType.CreateTimer:
      return [{ kind: 'timer' }];
    default:
      return [];
  }
}

function takePending(state: InstanceState, eventId: number): PendingWork | undefined {
  const index = state.pending.findIndex((w) => w.eventId === eventId);
  if (index < 0) return undefined;
  const [work] = state.pending.splice(index, 1);
  return work;
}

function activityCall(work: ActivityCall): ActivityCall {
  const { name, input, attempt, firstAttemptAt, retry } = work;
  return { name, input, attempt, firstAttemptAt, ...(retry ? { retry } : {}) };
}

/** The wait before the next attempt, or undefined when the attempts are used up. */
function retryDelay(work: ActivityCall, now: Date): number | undefined {
  const retry = work.retry;
  if (!retry || work.attempt >= retry.maxNumberOfAttempts) return undefined;
  const delay = Math.min(
    retry.firstRetryIntervalInMilliseconds * (retry.backoffCoefficient ?? 1) ** (work.attempt - 1),
    retry.maxRetryIntervalInMilliseconds || Number.POSITIVE_INFINITY,
  );
  const timeout = retry.retryTimeoutInMilliseconds;
  if (timeout && timeout > 0 && now.getTime() + delay - Date.parse(work.firstAttemptAt) > timeout) {
    return undefined;
  }
  return delay;
}
