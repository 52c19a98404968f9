/**
 * Rules the real Durable extension and the Durable Task framework enforce, with their own
 * messages, so an app that breaks one fails here as it would in Azure. Each names its source.
 */

/**
 * Custom status: `SetCustomStatus` serializes with a 16 KB limit (DurableOrchestrationContext,
 * `MaxCustomStatusPayloadSizeInKB = 16`), measured by MessagePayloadDataConverter.Serialize as
 * UTF-16 bytes / 1024, truncated. A larger one throws, which fails the orchestration.
 */
export const MAX_CUSTOM_STATUS_KB = 16;

/** The extension's message when a custom status is too large; undefined when it fits. */
export function customStatusTooLarge(customStatus: unknown): string | undefined {
  if (customStatus === undefined || customStatus === null) return undefined;
  const json = JSON.stringify(customStatus);
  // JavaScript string lengths count UTF-16 code units: two bytes each, as Encoding.Unicode.
  const sizeInKb = Math.floor((json.length * 2) / 1024);
  if (sizeInKb <= MAX_CUSTOM_STATUS_KB) return undefined;
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${sizeInKb} KB.`;
}

/** DurableClient.StartNewAsync: `MaxInstanceIdLength`. */
export const MAX_INSTANCE_ID_LENGTH = 256;

/** DurableClient.StartNewAsync's checks of a caller's instance id; undefined when it is valid. */
export function invalidInstanceId(instanceId: string): string | undefined {
  if (instanceId.startsWith('@')) return 'Orchestration instance ids must not start with @.';
  // IsInvalidCharacter: '/', '\\', '#', '?' and char.IsControl.
  if (/[/\\#?\p{Cc}]/u.test(instanceId)) {
    return 'Orchestration instance ids must not contain /, \\, #, ?, or control characters.';
  }
  if (instanceId.length > MAX_INSTANCE_ID_LENGTH) {
    return `Instance ID lengths must not exceed ${MAX_INSTANCE_ID_LENGTH} characters.`;
  }
  return undefined;
}

/** What an orchestrator scheduled that its replays must schedule again, in order. */
export interface ScheduledTask {
  eventId: number;
  kind: 'activity' | 'timer';
  name?: string;
}

const WAS_CHANGED =
  "but the current replay execution hasn't (yet?) scheduled this task. Was a change made to the orchestrator code after this instance had already started running?";

/**
 * DurableTask.Core's TaskOrchestrationContext (HandleTaskScheduledEvent, HandleTimerCreatedEvent)
 * fails an instance whose replay does not schedule, in order, what its history says it did: a
 * missing task or one with another name throws NonDeterministicOrchestrationException.
 * Returns the failure's text, or undefined when the replay matches.
 */
export function replayDivergence(
  history: readonly ScheduledTask[],
  replay: readonly Omit<ScheduledTask, 'eventId'>[],
): string | undefined {
  for (const [index, recorded] of history.entries()) {
    const now = replay[index];
    if (now && now.kind === recorded.kind && now.name === recorded.name) continue;
    const what =
      recorded.kind === 'activity'
        ? `an activity task with sequence ID ${recorded.eventId} and name '${recorded.name ?? ''}' (version '')`
        : `a timer task with sequence ID ${recorded.eventId}`;
    return `Non-Deterministic workflow detected: A previous execution of this orchestration scheduled ${what}, ${WAS_CHANGED}`;
  }
  return undefined;
}

/**
 * How an activity's failure reaches the orchestrator in the out-of-process model: the reason
 * names the function (as the extension's TaskActivityShim reports it) and the details carry the
 * exception serialized (the JavaScript library puts both in the Error it throws).
 */
export function activityFailure(
  name: string,
  error: { message: string; stack?: string; name?: string },
): { reason: string; details: string } {
  return {
    reason: `Activity function '${name}' failed: ${error.message}`,
    details: JSON.stringify({
      $type: 'Microsoft.Azure.WebJobs.Extensions.DurableTask.FunctionFailedException',
      ClassName: error.name ?? 'Error',
      Message: error.message,
      StackTraceString: error.stack ?? null,
    }),
  };
}
