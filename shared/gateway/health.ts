/**
 * Liveness and readiness in one answer: the app runs (it answered), its configuration is valid,
 * and Table Storage is reachable. It names settings that are wrong, never their values.
 */
import type { HttpResponseInit } from '@azure/functions';
import { ConfigurationError } from '../config';
import type { GatewayHandler } from '../http/handler';
import { jsonResponse } from '../http/responses';
import { getServices, type Services } from '../services';
import { ensureTable } from '../storage/ensure-table';

type Check = { status: 'ok'; durationMs?: number } | { status: 'failed'; problems: string[] };

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkTables(services: Services, timeoutMs: number): Promise<Check> {
  const started = Date.now();
  try {
    await withTimeout(
      (async () => {
        await ensureTable(services.idempotencyTable);
        // One cheap read proves the account answers and our identity may read.
        const page = services.idempotencyTable.listEntities({
          queryOptions: { select: ['partitionKey'] },
        });
        await page.byPage({ maxPageSize: 1 }).next();
      })(),
      timeoutMs,
      'Table Storage',
    );
    return { status: 'ok', durationMs: Date.now() - started };
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    const code = (error as { code?: unknown }).code;
    const reason =
      typeof status === 'number'
        ? `Table Storage answered ${status}${typeof code === 'string' ? ` (${code})` : ''}`
        : error instanceof Error
          ? error.message.slice(0, 200)
          : 'Table Storage could not be reached';
    return { status: 'failed', problems: [reason] };
  }
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
