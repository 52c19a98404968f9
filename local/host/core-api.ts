/**
 * The `@azure/functions-core` module, which the real Node.js worker provides to the app: the app's
 * `@azure/functions` registers its functions and its programming model through it. The local host
 * provides it the way the worker does, by answering `require('@azure/functions-core')`.
 */
import Module from 'node:module';

export type BindingDirection = 'in' | 'out' | 'inout';

export interface BindingInfo {
  type: string;
  direction: BindingDirection;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, BindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

export interface HttpData {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: TypedData;
  statusCode?: string;
  cookies?: HttpCookie[];
}

export interface HttpCookie {
  name?: string;
  value?: string;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: string | null;
  maxAge?: { value?: number | null } | null;
}

export interface TypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: HttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface ParameterBinding {
  name: string;
  data?: TypedData;
}

export interface InvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: ParameterBinding[];
  triggerMetadata: Record<string, TypedData>;
  traceContext?: { traceParent?: string; traceState?: string; attributes?: Record<string, string> };
}

export interface InvocationResponse {
  invocationId?: string;
  outputData?: ParameterBinding[];
  returnValue?: TypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: InvocationRequest;
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: string, category: string, message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(context: CoreInvocationContext): InvocationModel;
  getCapabilities?(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

/** Thrown for anything the app asks of the host that the local host does not do. */
export class NotSupportedByLocalHost extends Error {
  constructor(what: string) {
    super(`${what} is not supported by the local host`);
    this.name = 'NotSupportedByLocalHost';
  }
}

export type SystemLog = (level: string, message: string) => void;

/** The hooks the local host runs: app start (after loading) and app terminate (on stop). */
const SUPPORTED_HOOKS = new Set(['appStart', 'appTerminate']);

export type HookCallback = (context: Record<string, unknown>) => unknown;

export class FunctionsCore {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  private programmingModel: ProgrammingModel | undefined;

  constructor(private readonly systemLog: SystemLog) {}

  get model(): ProgrammingModel {
    if (!this.programmingModel) throw new Error('the app set no programming model');
    return this.programmingModel;
  }

  /** The module's exports, as the worker defines them. */
  exports(): Record<string, unknown> {
    return {
      version: '3.0.0-local',
      hostVersion: '4.0.0-local',
      registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => {
        if (this.functions.has(metadata.name.toLowerCase())) {
          throw new Error(`A function named "${metadata.name}" is already registered`);
        }
        this.functions.set(metadata.name.toLowerCase(), { metadata, callback });
        return { dispose: () => this.functions.delete(metadata.name.toLowerCase()) };
      },
      registerHook: (hookName: string, callback: HookCallback) => {
        if (!SUPPORTED_HOOKS.has(hookName)) {
          throw new NotSupportedByLocalHost(`The "${hookName}" hook`);
        }
        this.hooks.set(hookName, [...(this.hooks.get(hookName) ?? []), callback]);
        return {
          dispose: () =>
            this.hooks.set(
              hookName,
              (this.hooks.get(hookName) ?? []).filter((c) => c !== callback),
            ),
        };
      },
      setProgrammingModel: (model: ProgrammingModel) => {
        this.programmingModel = model;
      },
      getProgrammingModel: () => this.programmingModel,
      log: (level: string, _category: string, message: string) => this.systemLog(level, message),
    };
  }

  /** Runs a hook's callbacks in registration order, as the worker does, with its context. */
  async runHooks(hookName: string, context: Record<string, unknown>): Promise<void> {
    const appHookData: Record<string, unknown> = {};
    for (const callback of this.hooks.get(hookName) ?? []) {
      await callback({ hookData: {}, appHookData, ...context });
    }
  }

  /** Answers `require('@azure/functions-core')` from now on, as the Node.js worker does. */
  install(): void {
    const exports = this.exports();
    type Require = (this: NodeJS.Module, id: string) => unknown;
    const prototype = Module.prototype as unknown as { require: Require };
    const original = prototype.require;
    prototype.require = function (this: NodeJS.Module, id: string) {
      return id === '@azure/functions-core' ? exports : original.call(this, id);
    };
  }
}
