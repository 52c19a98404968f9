/**
 * Runs an orchestrator the way the Durable extension does: with a history of events in, actions
 * out, through durable-functions' own replay code. Histories are built from the library's own
 * history event classes.
 */
import { InvocationContext } from '@azure/functions';
import { ExecutionStartedEvent } from 'durable-functions/lib/src/history/ExecutionStartedEvent';
import { HistoryEventOptions } from 'durable-functions/lib/src/history/HistoryEventOptions';
import { OrchestratorCompletedEvent } from 'durable-functions/lib/src/history/OrchestratorCompletedEvent';
import { OrchestratorStartedEvent } from 'durable-functions/lib/src/history/OrchestratorStartedEvent';
import { TaskCompletedEvent } from 'durable-functions/lib/src/history/TaskCompletedEvent';
import { TaskFailedEvent } from 'durable-functions/lib/src/history/TaskFailedEvent';
import { TaskScheduledEvent } from 'durable-functions/lib/src/history/TaskScheduledEvent';
import { TimerCreatedEvent } from 'durable-functions/lib/src/history/TimerCreatedEvent';
import { TimerFiredEvent } from 'durable-functions/lib/src/history/TimerFiredEvent';
import {
  createOrchestrator,
  DurableOrchestrationInput,
  type OrchestratorStateLike,
} from 'durable-functions/lib/src/util/testingUtils';

function options(eventId: number, at: Date, fields: Partial<HistoryEventOptions> = {}) {
  const o = new HistoryEventOptions(eventId, at, true);
  return Object.assign(o, fields);
}

/** A history as the extension would keep it, one episode (orchestrator run) at a time. */
export class History {
  readonly events: object[] = [];
  private nextEventId = 0;
  private clock: Date;

  constructor(name: string, input: unknown, start = new Date('2026-11-24T10:00:00Z')) {
    this.clock = start;
    this.events.push(new OrchestratorStartedEvent(options(-1, this.clock)));
    this.events.push(
      new ExecutionStartedEvent(options(-1, this.clock, { name, input: JSON.stringify(input) })),
    );
  }

  /** The end of an episode in which the orchestrator scheduled this activity. */
  scheduled(activity: string): number {
    const id = this.nextEventId++;
    this.events.push(new TaskScheduledEvent(options(id, this.clock, { name: activity })));
    this.events.push(new OrchestratorCompletedEvent(options(-1, this.clock)));
    return id;
  }

  private nextEpisode(): void {
    this.clock = new Date(this.clock.getTime() + 1000);
    this.events.push(new OrchestratorStartedEvent(options(-1, this.clock)));
  }

  completed(taskScheduledId: number, result: unknown): this {
    this.nextEpisode();
    this.events.push(
      new TaskCompletedEvent(
        options(-1, this.clock, { taskScheduledId, result: JSON.stringify(result) }),
      ),
    );
    return this;
  }

  failed(taskScheduledId: number, reason: string): this {
    this.nextEpisode();
    this.events.push(
      new TaskFailedEvent(options(-1, this.clock, { taskScheduledId, reason, details: 'at step' })),
    );
    return this;
  }

  /** A timer the orchestrator asked for (e.g. before a retry), and its firing. */
  timer(delayMs: number): this {
    const id = this.nextEventId++;
    const fireAt = new Date(this.clock.getTime() + delayMs);
    this.events.push(new TimerCreatedEvent(options(id, this.clock, { fireAt })));
    this.events.push(new OrchestratorCompletedEvent(options(-1, this.clock)));
    this.clock = fireAt;
    this.events.push(new OrchestratorStartedEvent(options(-1, this.clock)));
    this.events.push(new TimerFiredEvent(options(-1, this.clock, { timerId: id, fireAt })));
    return this;
  }
}

export interface Replayed {
  state: OrchestratorStateLike;
  /** Set when the orchestrator failed: the message the extension records for it. */
  failure?: string;
}

/** One orchestrator run over the history, as the extension triggers it. */
export async function replay(
  orchestrator: unknown,
  instanceId: string,
  history: History,
  input: unknown,
): Promise<Replayed> {
  const listener = createOrchestrator(orchestrator);
  const context = new InvocationContext({
    functionName: 'orchestrator',
    logHandler: () => undefined,
  });
  try {
    const state = await listener(
      new DurableOrchestrationInput(instanceId, history.events, input),
      context,
    );
    return { state };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // As the extension does: the state travels after a marker, its `error` is the failure.
    const data = message.split('$OutOfProcData$:')[1];
    const state = JSON.parse(data ?? '{}') as OrchestratorStateLike;
    return { state, failure: state.error ?? message };
  }
}

/** The activities the orchestrator asked for in this run: name and input. */
export function scheduledActivities(
  state: OrchestratorStateLike,
): { name: string; input: unknown }[] {
  return state.actions
    .flat()
    .filter(
      (a): a is { functionName: string; input: unknown } =>
        typeof (a as { functionName?: unknown }).functionName === 'string',
    )
    .map((a) => ({ name: a.functionName, input: a.input }));
}
