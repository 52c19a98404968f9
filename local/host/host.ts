/**
 * The local Functions host: loads the app through `@azure/functions-core` (as the Node.js worker
 * does), serves its HTTP triggers on `http://<hostname>:<port>/<routePrefix>/...` (as `func start`
 * does), and plays the Durable extension (engine + HTTP API) over a task hub in Table Storage.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readHostSettings, loadApp } from './app-loader';
import {
  FunctionsCore,
  NotSupportedByLocalHost,
  type HttpCookie,
  type HttpData,
  type ParameterBinding,
  type RegisteredFunction,
  type TypedData,
} from './core-api';
import { durableApi, durableClientData } from './durable/client-api';
import { DurableEngine, type FunctionRunner } from './durable/engine';
import { Delivery, type QueueModel } from './durable/queues';
import { TaskHubStore } from './durable/task-hub';
import { byPrecedence, matchRoute, parseRoute, type Route } from './routes';
import { errorMessage, invoke } from './worker';

export interface LocalHostOptions {
  appRoot: string;
  port: number;
  hostname?: string;
  /** Overrides host.json's hub name (tests run several hosts against one Azurite). */
  taskHub?: string;
  storageConnectionString: string;
  /** Deliver the Durable engine's messages as the Azure Storage provider does (default: at once). */
  queues?: QueueModel;
  /** Where log lines go (default: stdout). */
  log?: (line: string) => void;
}

/** A function the host learned from the app's registration. */
export interface HostFunction {
  name: string;
  trigger: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
}

export interface LocalHost {
  url: string;
  hubName: string;
  /** The key the public Durable management route requires, as the system key in Azure. */
  systemKey: string;
  /** The loopback-only endpoint the durable client talks to. */
  durableRpcUrl: string;
  functions: HostFunction[];
  resumedInstances: number;
  stop(): Promise<void>;
}

const DURABLE_API = '/runtime/webhooks/durabletask';
const DURABLE_RPC = '/durabletask';

/**
 * A request a browser made (it names an Origin), or one addressed to another host name (DNS
 * rebinding): the management endpoints refuse both, so no web page can drive them.
 */
function fromBrowserOrElsewhere(req: IncomingMessage, ownHost: string): boolean {
  if (req.headers.origin !== undefined) return true;
  const host = (req.headers.host ?? '').toLowerCase();
  const port = ownHost.split(':')[1];
  return host !== ownHost && host !== `localhost:${port}`;
}
const MAX_BODY_BYTES = 100 * 1024 * 1024; // the Functions host's own request limit

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const print = options.log ?? bufferedStdout();
  const stamp = () => new Date().toISOString();
  const core = new FunctionsCore((level, message) =>
    print(`${stamp()} [host:${level}] ${message}`),
  );
  core.install();
  loadApp(core, options.appRoot);
  const capabilities = (await core.model.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri) {
    throw new NotSupportedByLocalHost('HTTP streaming (app.setup({ enableHttpStream: true }))');
  }
  const settings = readHostSettings(options.appRoot);
  await core.runHooks('appStart', {
    functionAppDirectory: options.appRoot,
    hostVersion: '4.0.0-local',
  });
  const hubName = options.taskHub ?? settings.hubName;
  const hostname = options.hostname ?? '127.0.0.1';

  const userLog = (level: string, name: string, message: string) =>
    print(`${stamp()} [${name}:${level}] ${message}`);
  const triggerOf = (fn: RegisteredFunction) =>
    Object.entries(fn.metadata.bindings).find(
      ([, b]) => b.direction === 'in' && /trigger$/i.test(b.type),
    ) ?? ['', { type: 'none', direction: 'in' as const }];

  const runner: FunctionRunner = {
    find(name, triggerType) {
      const fn = core.functions.get(name.toLowerCase());
      return fn && triggerOf(fn)[1].type === triggerType ? fn : undefined;
    },
    run(fn, trigger) {
      return invoke(
        core,
        fn,
        { inputData: [{ name: triggerOf(fn)[0], data: trigger ?? {} }] },
        userLog,
      );
    },
    log: (level, message) => print(`${stamp()} [host:${level}] ${message}`),
  };
  const engine = new DurableEngine(
    new TaskHubStore(options.storageConnectionString, hubName),
    runner,
    new Delivery(options.queues),
  );

  const httpFunctions = [...core.functions.values()].filter(
    (fn) => triggerOf(fn)[1].type.toLowerCase() === 'httptrigger',
  );
  const routes: Route[] = httpFunctions
    .map((fn) => {
      const trigger = triggerOf(fn)[1];
      return parseRoute(
        (trigger.route as string | undefined) ?? fn.metadata.name,
        (trigger.methods as string[] | undefined) ?? ['GET', 'POST'],
        fn.metadata.name,
      );
    })
    .sort(byPrecedence);

  let origin = '';
  let ownHost = '';
  /** The durable client's binding data, the same for every invocation once the port is known. */
  let clientData = '';
  const systemKey = randomBytes(24).toString('base64url');

  /** The Durable management API, answered for the public route and the loopback endpoint alike. */
  async function serveDurable(
    res: ServerResponse,
    method: string,
    path: string,
    url: URL,
    body: Buffer,
  ): Promise<void> {
    const answer = await durableApi(engine, method, path, url.searchParams, body.toString('utf8'));
    const json =
      answer.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(answer.body));
    send(res, answer.status, json.length ? { 'content-type': 'application/json' } : {}, json);
  }

  async function serveFunction(
    fn: RegisteredFunction,
    req: IncomingMessage,
    url: URL,
    params: Record<string, string>,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const http: HttpData = {
      method: req.method ?? 'GET',
      url: url.href,
      headers,
      query: Object.fromEntries(url.searchParams),
      params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    };
    const inputData: ParameterBinding[] = Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'in')
      .map(([name, b]): ParameterBinding => {
        const type = b.type.toLowerCase();
        if (type === 'httptrigger') return { name, data: { http } };
        return { name, data: { string: clientData } }; // durableClient: the only other input
      });
    const traceParent = headers.traceparent;
    const outcome = await invoke(
      core,
      fn,
      { inputData, ...(traceParent ? { traceParent } : {}) },
      userLog,
    );
    if (!outcome.ok) {
      print(`${stamp()} [host:error] ${fn.metadata.name} failed: ${errorMessage(outcome.error)}`);
      return { status: 500, headers: {}, body: Buffer.alloc(0) };
    }
    const answer = outcome.response.returnValue?.http;
    if (!answer) return { status: 204, headers: {}, body: Buffer.alloc(0) };
    const out: Record<string, string | string[]> = { ...(answer.headers ?? {}) };
    const cookies = (answer.cookies ?? []).map(cookieHeader);
    if (cookies.length > 0) out['set-cookie'] = cookies;
    return { status: Number(answer.statusCode ?? 200), headers: out, body: bodyBytes(answer.body) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    if (body === undefined) return send(res, 413, {}, Buffer.from('Request body too large'));

    if (url.pathname.startsWith(`${DURABLE_API}/`)) {
      // As in Azure: the public management route needs the system key, and no browser gets in.
      if (fromBrowserOrElsewhere(req, ownHost)) return send(res, 403, {}, Buffer.alloc(0));
      if (url.searchParams.get('code') !== systemKey) return send(res, 401, {}, Buffer.alloc(0));
      return serveDurable(res, method, url.pathname.slice(DURABLE_API.length + 1), url, body);
    }

    const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (admin && fromBrowserOrElsewhere(req, ownHost)) return send(res, 403, {}, Buffer.alloc(0));
    if (admin && method === 'POST') {
      const fn = core.functions.get(decodeURIComponent(admin[1] as string).toLowerCase());
      if (!fn || triggerOf(fn)[1].type.toLowerCase() !== 'timertrigger')
        return send(res, 404, {}, Buffer.alloc(0));
      const timer = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
      const outcome = await runner.run(fn, { json: JSON.stringify(timer) });
      if (!outcome.ok)
        print(`${stamp()} [host:error] ${fn.metadata.name} failed: ${errorMessage(outcome.error)}`);
      return send(res, outcome.ok ? 202 : 500, {}, Buffer.alloc(0));
    }

    const prefix = settings.routePrefix ? `/${settings.routePrefix}` : '';
    if (prefix && !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) {
      return send(res, 404, {}, Buffer.alloc(0));
    }
    const segments = url.pathname.slice(prefix.length).split('/').filter(Boolean);
    for (const route of routes) {
      if (!route.methods.includes(method)) continue;
      const params = matchRoute(route, segments);
      if (!params) continue;
      const fn = core.functions.get(route.functionName.toLowerCase()) as RegisteredFunction;
      const answer = await serveFunction(fn, req, url, params, body);
      send(res, answer.status, answer.headers, answer.body);
      print(
        `${stamp()} [http] ${method} ${url.pathname} -> ${answer.status} (${Date.now() - started} ms)`,
      );
      return;
    }
    send(res, 404, {}, Buffer.alloc(0));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      print(`${stamp()} [host:error] ${errorMessage(error)}`);
      if (!res.headersSent) send(res, 500, {}, Buffer.alloc(0));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, hostname, () => resolve());
  });
  origin = `http://${hostname}:${(server.address() as AddressInfo).port}`;
  ownHost = new URL(origin).host;

  // The extension's own endpoint for the durable client: loopback only, like 127.0.0.1:17071.
  const rpc: Server = createServer((req, res) => {
    const rpcHost = `127.0.0.1:${(rpc.address() as AddressInfo).port}`;
    const url = new URL(req.url ?? '/', `http://${rpcHost}`);
    void (async () => {
      const body = (await readBody(req)) ?? Buffer.alloc(0);
      if (fromBrowserOrElsewhere(req, rpcHost) || !url.pathname.startsWith(`${DURABLE_RPC}/`)) {
        return send(res, 403, {}, Buffer.alloc(0));
      }
      const path = url.pathname.slice(DURABLE_RPC.length + 1);
      return serveDurable(res, (req.method ?? 'GET').toUpperCase(), path, url, body);
    })().catch((error: unknown) => {
      print(`${stamp()} [host:error] ${errorMessage(error)}`);
      if (!res.headersSent) send(res, 500, {}, Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve, reject) => {
    rpc.once('error', reject);
    rpc.listen(0, '127.0.0.1', () => resolve());
  });
  const durableRpcUrl = `http://127.0.0.1:${(rpc.address() as AddressInfo).port}${DURABLE_RPC}/`;
  clientData = JSON.stringify(
    durableClientData(
      { webhookBase: `${origin}${DURABLE_API}`, systemKey, rpcBaseUrl: durableRpcUrl },
      hubName,
    ),
  );
  const resumedInstances = await engine.resume();

  return {
    url: origin,
    hubName,
    systemKey,
    durableRpcUrl,
    resumedInstances,
    functions: [...core.functions.values()].map((fn) => {
      const [, trigger] = triggerOf(fn);
      return {
        name: fn.metadata.name,
        trigger: trigger.type,
        ...(trigger.type.toLowerCase() === 'httptrigger'
          ? {
              route: `${settings.routePrefix ? `/${settings.routePrefix}` : ''}/${(trigger.route as string | undefined) ?? fn.metadata.name}`,
              methods: (trigger.methods as string[] | undefined) ?? ['GET', 'POST'],
              authLevel: (trigger.authLevel as string | undefined) ?? 'function',
            }
          : {}),
      };
    }),
    async stop() {
      await core.runHooks('appTerminate', {}).catch(() => undefined);
      engine.stop();
      server.closeAllConnections();
      rpc.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => rpc.close(() => resolve()));
      await engine.idle();
    },
  };
}

/** Log lines written together once per turn of the event loop, as the Functions host batches them. */
function bufferedStdout(): (line: string) => void {
  let pending: string[] = [];
  return (line) => {
    if (pending.length === 0) {
      setImmediate(() => {
        process.stdout.write(`${pending.join('\n')}\n`);
        pending = [];
      });
    }
    pending.push(line);
  };
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
) {
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function bodyBytes(body: TypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (typeof body.string === 'string') return Buffer.from(body.string);
  if (typeof body.json === 'string') return Buffer.from(body.json);
  return Buffer.alloc(0);
}

function cookieHeader(cookie: HttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const seconds = cookie.expires?.value?.seconds;
  if (typeof seconds === 'number') parts.push(`Expires=${new Date(seconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite && cookie.sameSite !== 'none') {
    parts.push(
      `SameSite=${cookie.sameSite === 'explicitNone' ? 'None' : cookie.sameSite[0]?.toUpperCase() + cookie.sameSite.slice(1)}`,
    );
  }
  return parts.join('; ');
}
