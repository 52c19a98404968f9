// Types for the parts of durable-functions' own replay machinery the tests and the local host use (the package
// ships them as JavaScript without declarations).
declare module 'durable-functions/lib/src/util/testingUtils' {
  import type { InvocationContext } from '@azure/functions';
  export interface OrchestratorStateLike {
    isDone: boolean;
    actions: unknown[][];
    output?: unknown;
    error?: string;
    customStatus?: unknown;
  }
  export function createOrchestrator(
    fn: unknown,
  ): (trigger: unknown, context: InvocationContext) => Promise<OrchestratorStateLike>;
  export class DurableOrchestrationInput {
    readonly instanceId: string;
    constructor(instanceId?: string, history?: unknown[], input?: unknown);
  }
}

declare module 'durable-functions/lib/src/history/HistoryEventOptions' {
  export class HistoryEventOptions {
    constructor(eventId: number, timestamp: Date, isPlayed?: boolean);
    name?: string;
    input?: string;
    result?: string;
    taskScheduledId?: number;
    reason?: string;
    details?: string;
    fireAt?: Date;
    timerId?: number;
  }
}

declare module 'durable-functions/lib/src/history/OrchestratorStartedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class OrchestratorStartedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/OrchestratorCompletedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class OrchestratorCompletedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/ExecutionStartedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class ExecutionStartedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/TaskScheduledEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class TaskScheduledEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/TaskCompletedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class TaskCompletedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/TaskFailedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class TaskFailedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/TimerCreatedEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class TimerCreatedEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/TimerFiredEvent' {
  import type { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
  export class TimerFiredEvent {
    readonly EventType: number;
    constructor(options: HistoryEventOptions);
  }
}

declare module 'durable-functions/lib/src/history/HistoryEventType' {
  export enum HistoryEventType {
    ExecutionStarted = 0,
    ExecutionCompleted = 1,
    ExecutionFailed = 2,
    ExecutionTerminated = 3,
    TaskScheduled = 4,
    TaskCompleted = 5,
    TaskFailed = 6,
    TimerCreated = 10,
    TimerFired = 11,
    OrchestratorStarted = 12,
    OrchestratorCompleted = 13,
    EventRaised = 15,
  }
}

declare module 'durable-functions/lib/src/actions/ActionType' {
  export enum ActionType {
    CallActivity = 0,
    CallActivityWithRetry = 1,
    CallSubOrchestrator = 2,
    CallSubOrchestratorWithRetry = 3,
    ContinueAsNew = 4,
    CreateTimer = 5,
    WaitForExternalEvent = 6,
    CallEntity = 7,
    CallHttp = 8,
    SignalEntity = 9,
    WhenAny = 11,
    WhenAll = 12,
    LockEntities = 13,
    ReleaseEntities = 14,
  }
}
