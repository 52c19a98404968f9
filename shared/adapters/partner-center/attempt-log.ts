import type { Logger } from '../../logging';
import type { AttemptEvent } from './client';

/** Logs each Partner Center attempt: ids, status and timing, never bodies or tokens. */
export function attemptLogger(log: Logger): (event: AttemptEvent) => void {
  return (event) => {
    const fields = {
      operation: event.operation,
      attempt: event.attempt,
      outcome: event.outcome,
      requestId: event.requestId,
      clientRequestId: event.clientRequestId,
      msCorrelationId: event.msCorrelationId,
      durationMs: event.durationMs,
      ...(event.status !== undefined ? { status: event.status } : {}),
      ...(event.reason !== undefined ? { reason: event.reason } : {}),
      ...(event.delayMs !== undefined ? { delayMs: event.delayMs } : {}),
    };
    if (event.outcome === 'success') log.info('partnerCenter.attempt', fields);
    else log.warn('partnerCenter.attempt', fields);
  };
}
