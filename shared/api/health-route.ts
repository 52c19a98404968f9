/**
 * Liveness and readiness in one answer: the app runs (it answered), its configuration is valid,
 * Table Storage is reachable, and the integration user's sign-in still gets tokens. It names settings that are wrong, never their values.
 */
import { checkHealth, logSignIn } from '../application/health';
import type { HealthAnswer } from './answer-schemas';
import type { GatewayHandler } from './handler';
import { jsonResponse } from './responses';

export function healthRoute(
  /** Table Storage must answer within this; probes give up soon after. */
  tableTimeoutMs = 5000,
): GatewayHandler {
  return async (_request, { correlationId, log, services }) => {
    const report = await checkHealth(services, tableTimeoutMs);
    logSignIn(log, report.checks.partnerCenterSignIn);
    if (!report.healthy) log.warn('health.unhealthy');
    const answer: HealthAnswer = {
      status: report.healthy ? 'healthy' : 'unhealthy',
      checks: report.checks,
    };
    return jsonResponse(report.healthy ? 200 : 503, answer, correlationId, {
      'cache-control': 'no-store',
    });
  };
}
