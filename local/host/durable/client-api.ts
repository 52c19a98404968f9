/**
 * The Durable extension's HTTP API, as the `durable-functions` client (`df.getClient`) calls it
 * through `rpcBaseUrl`: start, status (one or many), raise event, terminate, purge, answered as
 * the extension's HttpApiHandler answers. What the client can ask for but this host does not do
 * (suspend, resume, rewind, restart, entities) answers 501, naming it; anything else 404.
 */
import { HistoryEventType } from 'durable-functions/lib/src/history/HistoryEventType';
import { InstanceConflict, UnknownOrchestrator, type DurableEngine } from './engine';
import { invalidInstanceId } from './extension-rules';
import { isRunning, type InstanceState } from './task-hub';

export interface ApiAnswer {
  status: number;
  body?: unknown;
}

export interface DurableEndpoints {
  /** The public management route, e.g. http://127.0.0.1:7071/runtime/webhooks/durabletask */
  webhookBase: string;
  /** The system key the public route requires (`code=`), as the extension's in Azure. */
  systemKey: string;
  /** The loopback-only endpoint the durable client calls, e.g. http://127.0.0.1:17071/durabletask/ */
  rpcBaseUrl: string;
}

/** The binding data the extension gives a function with a `durableClient` input. */
export function durableClientData(
  endpoints: DurableEndpoints,
  hubName: string,
): Record<string, unknown> {
  const { webhookBase, systemKey } = endpoints;
  const code = `code=${encodeURIComponent(systemKey)}`;
  const instance = `${webhookBase}/instances/INSTANCEID`;
  const query = `taskHub=${hubName}&connection=Storage&${code}`;
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?${code}`,
      createAndWaitOnNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${code}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: webhookBase,
    requiredQueryStringParameters: code,
    rpcBaseUrl: endpoints.rpcBaseUrl,
    httpBaseUrl: webhookBase,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}

function statusBody(state: InstanceState, history?: Record<string, unknown>[], showInput = true) {
  return {
    name: state.name,
    instanceId: state.instanceId,
    runtimeStatus: state.runtimeStatus,
    input: showInput ? state.input : null,
    customStatus: state.customStatus,
    output: state.output,
    createdTime: state.createdTime,
    lastUpdatedTime: state.lastUpdatedTime,
    // As the extension names it (the JavaScript client's `history` property stays empty there).
    ...(history ? { historyEvents: history } : {}),
  };
}

/**
 * The history as the HTTP API shows it (the "Get instance status" reference): event types by
 * name, no replay bookkeeping (OrchestratorStarted/Completed), each task's scheduling folded into
 * its outcome (FunctionName, ScheduledTime), and results and inputs only with showHistoryOutput.
 */
export function historyEvents(
  history: Record<string, unknown>[],
  showOutput: boolean,
): Record<string, unknown>[] {
  const scheduled = new Map<unknown, Record<string, unknown>>();
  const shown: Record<string, unknown>[] = [];
  for (const { EventType, EventId, IsPlayed: _played, ...fields } of history) {
    const type = EventType as HistoryEventType;
    if (type === HistoryEventType.OrchestratorStarted) continue;
    if (type === HistoryEventType.OrchestratorCompleted) continue;
    if (type === HistoryEventType.TaskScheduled) {
      scheduled.set(EventId, fields);
      continue;
    }
    const event: Record<string, unknown> = { EventType: HistoryEventType[type], ...fields };
    if (type === HistoryEventType.ExecutionStarted) {
      event.FunctionName = event.Name;
      delete event.Name;
    }
    if (type === HistoryEventType.TaskCompleted || type === HistoryEventType.TaskFailed) {
      const task = scheduled.get(event.TaskScheduledId);
      event.FunctionName = task?.Name;
      event.ScheduledTime = task?.Timestamp;
      delete event.TaskScheduledId;
    }
    if (!showOutput) {
      delete event.Input;
      delete event.Result;
    }
    shown.push(event);
  }
  return shown;
}

const notSupported = (what: string): ApiAnswer => ({
  status: 501,
  body: { message: `${what} is not supported by the local host` },
});

/** What the extension's HttpApiHandler answers for a route it does not have. */
const NOT_FOUND: ApiAnswer = { status: 404 };

/** Routes of the extension's API that this host does not serve. */
const UNSUPPORTED_ACTIONS = new Set(['suspend', 'resume', 'rewind', 'restart']);

/** `path` is relative to the API's base, e.g. `instances/abc/terminate`. */
export async function durableApi(
  engine: DurableEngine,
  method: string,
  path: string,
  query: URLSearchParams,
  body: string,
): Promise<ApiAnswer> {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [resource, id, action, eventName] = parts;

  if (resource === 'orchestrators' && method === 'POST' && id) {
    if (query.get('version')) return notSupported('Orchestration versions');
    // More path segments than the id: an id with a '/', which the extension refuses.
    const instanceId = parts.length > 3 ? parts.slice(2).join('/') : action;
    const invalid = instanceId === undefined ? undefined : invalidInstanceId(instanceId);
    if (invalid) return { status: 400, body: { message: invalid } };
    const input = jsonOrUndefined(body);
    if (input === INVALID) {
      return { status: 400, body: { message: 'The orchestration input is not valid JSON.' } };
    }
    try {
      const state = await engine.startNew(
        id,
        instanceId ?? crypto.randomUUID().replace(/-/g, ''),
        input,
      );
      return { status: 202, body: { id: state.instanceId } };
    } catch (error) {
      // StartNewAsync throws InvalidOperationException, which HttpApiHandler does not catch.
      if (error instanceof InstanceConflict)
        return { status: 500, body: { message: error.message } };
      if (error instanceof UnknownOrchestrator)
        return { status: 400, body: { message: error.message } };
      throw error;
    }
  }

  if (resource === 'entities') return notSupported('Durable entities');
  if (resource !== 'instances') return NOT_FOUND;

  if (!id) {
    const statuses = query.get('runtimeStatus')?.split(',').filter(Boolean);
    const from = query.get('createdTimeFrom');
    const to = query.get('createdTimeTo');
    const matching = (await engine.list()).filter(
      (s) =>
        (!statuses || statuses.includes(s.runtimeStatus)) &&
        (!from || s.createdTime >= new Date(from).toISOString()) &&
        (!to || s.createdTime <= new Date(to).toISOString()),
    );
    if (method === 'GET') return { status: 200, body: matching.map((s) => statusBody(s)) };
    if (method === 'DELETE') {
      // The purge by time range (the client always sends createdTimeFrom) deletes what matches.
      let deleted = 0;
      for (const s of matching) {
        if (await engine.purge(s.instanceId)) deleted++;
      }
      return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : NOT_FOUND;
    }
    return NOT_FOUND;
  }

  if (!action) {
    const state = await engine.status(id);
    if (method === 'GET') {
      if (!state) return NOT_FOUND;
      const history =
        query.get('showHistory') === 'true'
          ? historyEvents(await engine.history(id), query.get('showHistoryOutput') === 'true')
          : undefined;
      const running = isRunning(state.runtimeStatus);
      return {
        status: running ? 202 : 200,
        body: statusBody(state, history, query.get('showInput') !== 'false'),
      };
    }
    if (method === 'DELETE') {
      // DurableTask.AzureStorage purges one instance whatever its status, running included.
      if (!state) return NOT_FOUND;
      await engine.purge(id);
      return { status: 200, body: { instancesDeleted: 1 } };
    }
    return NOT_FOUND;
  }

  if (method === 'POST' && action === 'raiseEvent' && eventName) {
    const input = jsonOrUndefined(body);
    if (input === INVALID) {
      return { status: 400, body: { message: 'The event data is not valid JSON.' } };
    }
    return sentAnswer(await engine.send(id, { kind: 'eventRaised', name: eventName, input }));
  }
  if (method === 'POST' && action === 'terminate') {
    const reason = query.get('reason') ?? '';
    return sentAnswer(await engine.send(id, { kind: 'terminate', reason }));
  }
  if (method === 'POST' && UNSUPPORTED_ACTIONS.has(action)) {
    return notSupported(`POST instances/{id}/${action}`);
  }
  return NOT_FOUND;
}

const INVALID = Symbol('invalid JSON');

/** A request body as JSON: undefined when empty, INVALID when it does not parse. */
function jsonOrUndefined(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return INVALID;
  }
}

function sentAnswer(status: string | undefined): ApiAnswer {
  if (status === undefined) return { status: 404 };
  return isRunning(status as InstanceState['runtimeStatus']) ? { status: 202 } : { status: 410 };
}
