// Types for the parts of durable-functions' own replay machinery the tests drive (the package
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
