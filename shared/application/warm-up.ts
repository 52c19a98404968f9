/**
 * What every instance's first request would otherwise do one step after another (find the token
 * issuer's keys, get a Partner Center token from the stored cache, make sure the tables exist),
 * started together when the app starts, so a cold instance answers its first request sooner.
 * Best effort: a failure here is only logged; the request that needs the step reports it.
 */
import { PartnerCenterError } from '../adapters/partner-center/errors';
import { createLogger, type LogSink } from '../logging';
import type { Services } from './services';

export async function warmUp(services: Services, sink: LogSink): Promise<void> {
  const log = createLogger(sink, { operation: 'warmUp' });
  const started = Date.now();
  const outcomes = await Promise.allSettled([
    services.callers.warmUp(),
    services.tokens.getAccessToken(),
    services.idempotency.ready(),
    services.engagements.ready(),
  ]);
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed.length === 0) {
    log.info('warmUp.done', { durationMs: Date.now() - started });
    return;
  }
  const first = failed[0]?.reason as unknown;
  const reason =
    first instanceof PartnerCenterError
      ? first.failure.kind
      : first instanceof Error
        ? first.name
        : 'unknown';
  log.warn('warmUp.incomplete', { count: failed.length, reason });
}

/** Starts the warm-up without waiting for it; a misconfigured app is left to health to report. */
export function startWarmUp(sink: LogSink, services: () => Services): void {
  let resolved: Services;
  try {
    resolved = services();
  } catch {
    return;
  }
  void warmUp(resolved, sink);
}
