/**
 * Whether the gateway can serve: its configuration is valid and Table Storage answers. It names
 * settings that are wrong, never their values.
 */
import { ConfigurationError } from '../config';
import type { Services } from './services';

export type Check =
  { status: 'ok'; durationMs?: number } | { status: 'failed'; problems: string[] };

export interface HealthReport {
  healthy: boolean;
  checks: { configuration: Check; tableStorage: Check };
}

async function checkTables(services: Services, timeoutMs: number): Promise<Check> {
  const started = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await services.idempotency.probe(signal);
  } catch (error) {
    return { status: 'failed', problems: [tableProblem(error, signal, timeoutMs)] };
  }
  return { status: 'ok', durationMs: Date.now() - started };
}

function tableProblem(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `Table Storage did not answer within ${timeoutMs} ms`;
  const status = (error as { statusCode?: unknown }).statusCode;
  const code = (error as { code?: unknown }).code;
  if (typeof status === 'number') {
    return `Table Storage answered ${status}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return `Table Storage could not be reached${typeof code === 'string' ? ` (${code})` : ''}`;
}

export async function checkHealth(
  services: () => Services,
  /** Table Storage must answer within this; probes give up soon after. */
  tableTimeoutMs: number,
): Promise<HealthReport> {
  let resolved: Services | undefined;
  let configuration: Check;
  try {
    resolved = services();
    configuration = { status: 'ok' };
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    configuration = { status: 'failed', problems: error.problems };
  }
  const tableStorage: Check = resolved
    ? await checkTables(resolved, tableTimeoutMs)
    : { status: 'failed', problems: ['not checked: the configuration is invalid'] };
  return {
    healthy: configuration.status === 'ok' && tableStorage.status === 'ok',
    checks: { configuration, tableStorage },
  };
}
