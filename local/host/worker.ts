/**
 * One function invocation, as the Node.js worker runs it: the app's programming model turns the
 * request into arguments (real `HttpRequest`, `InvocationContext`), runs the handler, and turns
 * the result into the response the host receives.
 */
import { randomUUID } from 'node:crypto';
import type {
  FunctionsCore,
  InvocationResponse,
  ParameterBinding,
  RegisteredFunction,
  TypedData,
} from './core-api';

export type InvocationOutcome =
  { ok: true; response: InvocationResponse } | { ok: false; error: unknown };

export type UserLog = (level: string, functionName: string, message: string) => void;

export interface Invocation {
  inputData: ParameterBinding[];
  triggerMetadata?: Record<string, TypedData>;
  traceParent?: string;
}

export async function invoke(
  core: FunctionsCore,
  fn: RegisteredFunction,
  invocation: Invocation,
  log: UserLog,
): Promise<InvocationOutcome> {
  const invocationId = randomUUID();
  const name = fn.metadata.name;
  const coreContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? name,
      inputData: invocation.inputData,
      triggerMetadata: invocation.triggerMetadata ?? {},
      ...(invocation.traceParent ? { traceContext: { traceParent: invocation.traceParent } } : {}),
    },
    metadata: fn.metadata,
    state: undefined as 'invocation' | undefined,
    log: (level: string, _category: string, message: string) => log(level, name, message),
  };
  try {
    const model = core.model.getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    coreContext.state = 'invocation';
    const result = await model.invokeFunction(context, inputs, fn.callback);
    return { ok: true, response: await model.getResponse(context, result) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A typed value from the worker as plain JavaScript (the inverse of the library's encoding). */
export function fromTypedData(data: TypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (typeof data.json === 'string') return JSON.parse(data.json) as unknown;
  if (typeof data.string === 'string') return data.string;
  if (data.bytes) return Buffer.from(data.bytes);
  if (typeof data.int === 'number') return data.int;
  if (typeof data.double === 'number') return data.double;
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
