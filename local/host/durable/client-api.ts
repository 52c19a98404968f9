/**
 * The Durable extension's HTTP API, as the `durable-functions` client (`df.getClient`) calls it
 * through `rpcBaseUrl`: start, status (one or many), raise event, terminate, purge. Anything else
 * the client can ask for answers 501, naming it.
 */
import { InstanceConflict, UnknownOrchestrator, type DurableEngine } from './engine';
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
    // The documented API says `historyEvents`; the JavaScript client reads `history`.
    ...(history ? { historyEvents: history, history } : {}),
  };
}

const notSupported = (what: string): ApiAnswer => ({
  status: 501,
  body: { message: `${what} is not supported by the local host` },
});

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
    const instanceId = action ?? crypto.randomUUID().replace(/-/g, '');
    const input = jsonOrUndefined(body);
    if (input === INVALID) {
      return { status: 400, body: { message: 'The orchestration input is not valid JSON.' } };
    }
    try {
      const state = await engine.startNew(id, instanceId, input);
      return { status: 202, body: { id: state.instanceId } };
    } catch (error) {
      if (error instanceof InstanceConflict)
        return { status: 409, body: { message: error.message } };
      if (error instanceof UnknownOrchestrator)
        return { status: 400, body: { message: error.message } };
      throw error;
    }
  }

  if (resource !== 'instances') return notSupported(`${method} ${path}`);

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
      let deleted = 0;
      for (const s of matching.filter((m) => !isRunning(m.runtimeStatus))) {
        if (await engine.purge(s.instanceId)) deleted++;
      }
      return deleted > 0 ? { status: 200, body: { instancesDeleted: deleted } } : { status: 404 };
    }
    return notSupported(`${method} instances`);
  }

  if (!action) {
    const state = await engine.status(id);
    if (method === 'GET') {
      if (!state) return { status: 404 };
      const history = query.get('showHistory') === 'true' ? await engine.history(id) : undefined;
      const running = isRunning(state.runtimeStatus);
      return {
        status: running ? 202 : 200,
        body: statusBody(state, history, query.get('showInput') !== 'false'),
      };
    }
    if (method === 'DELETE') {
      if (!state) return { status: 404 };
      if (isRunning(state.runtimeStatus)) {
        return {
          status: 400,
          body: { message: `The instance ${id} is still running; terminate it first.` },
        };
      }
      await engine.purge(id);
      return { status: 200, body: { instancesDeleted: 1 } };
    }
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
  return notSupported(`${method} instances/{id}${action ? `/${action}` : ''}`);
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
