/**
 * Liveness and readiness in one answer: the app runs (it answered), its configuration is valid,
 * and Table Storage is reachable. It names settings that are wrong, never their values.
 */
import type { HttpResponseInit } from '@azure/functions';
import { ConfigurationError } from '../config';
import type { GatewayHandler } from './handler';
import { jsonResponse } from './responses';
import { getServices, type Services } from '../../functions/services';
import { isStatus } from '../adapters/storage/ensure-table';

type Check = { status: 'ok'; durationMs?: number } | { status: 'failed'; problems: string[] };

async function checkTables(services: Services, timeoutMs: number): Promise<Check> {
  const started = Date.now();
  // Aborting (not just racing) stops the SDK's own retries once the probe has given up.
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    // One cheap read proves the account answers and our identity may read.
    const entities = services.idempotencyTable.listEntities({
      queryOptions: { select: ['PartitionKey'] },
      abortSignal,
    });
    await entities.byPage({ maxPageSize: 1 }).next();
  } catch (error) {
    // Reachable, the table just does not exist yet: it is created on first use.
    if (!isStatus(error, 404))
      return { status: 'failed', problems: [tableProblem(error, abortSignal, timeoutMs)] };
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

export function healthRoute(
  services: () => Services = getServices,
  /** Table Storage must answer within this; probes give up soon after. */
  tableTimeoutMs = 5000,
): GatewayHandler {
  return async (_request, { correlationId, log }): Promise<HttpResponseInit> => {
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
    const healthy = configuration.status === 'ok' && tableStorage.status === 'ok';
    if (!healthy) log.warn('health.unhealthy');
    return jsonResponse(
      healthy ? 200 : 503,
      { status: healthy ? 'healthy' : 'unhealthy', checks: { configuration, tableStorage } },
      correlationId,
      { 'cache-control': 'no-store' },
    );
  };
}
