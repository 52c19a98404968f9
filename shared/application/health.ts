/**
 * Whether the gateway can serve: its configuration is valid, Table Storage answers, and the
 * integration user's sign-in still gets Partner Center tokens. It names settings that are wrong,
 * never their values, and says nothing of the user but how long ago the sign-in was renewed.
 */
import { PartnerCenterError } from '../adapters/partner-center/errors';
import { ConfigurationError } from '../config';
import type { Logger } from '../logging';
import type { Services } from './services';

/** The sign-in's state as a metric: alert rules watch it (infra/modules/monitoring.bicep). */
export function logSignIn(log: Logger, check: SignInCheck): void {
  const fields = {
    outcome: check.state,
    ...(check.daysSinceRenewal !== undefined ? { count: check.daysSinceRenewal } : {}),
  };
  if (check.status === 'ok' && check.state !== 'atRisk') log.info('signIn.checked', fields);
  else log.warn('signIn.checked', fields);
}

export type Check =
  { status: 'ok'; durationMs?: number } | { status: 'failed'; problems: string[] };

/**
 * - `signedIn`: tokens come; `atRisk`: they come, but the sign-in has not been renewed for
 *   `SIGN_IN_AT_RISK_DAYS` (an idle refresh token expires after 90 days);
 * - `lost`: the refresh token was revoked or expired: sign in again (`npm run consent`);
 * - `unavailable`: the identity provider did not answer; `notChecked`: no configuration.
 */
export type SignInState = 'signedIn' | 'atRisk' | 'lost' | 'unavailable' | 'notChecked';

export interface SignInCheck {
  status: 'ok' | 'failed';
  state: SignInState;
  lastRenewedAt?: string;
  daysSinceRenewal?: number;
  problems?: string[];
}

export interface HealthReport {
  healthy: boolean;
  checks: { configuration: Check; tableStorage: Check; partnerCenterSignIn: SignInCheck };
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function checkSignIn(
  services: Services,
  timeoutMs: number,
  /** Renew at the identity provider rather than use a cached token (the periodic watch). */
  renew = false,
): Promise<SignInCheck> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  let state: SignInState = 'signedIn';
  let problem: string | undefined;
  try {
    const token = await Promise.race([
      renew ? services.tokens.renew() : services.tokens.getAccessToken(),
      late,
    ]);
    if (token === 'late') {
      state = 'unavailable';
      problem = `no Partner Center token within ${timeoutMs} ms`;
    }
  } catch (error) {
    const lost = error instanceof PartnerCenterError && error.failure.kind === 'consentRequired';
    state = lost ? 'lost' : 'unavailable';
    problem = lost
      ? `the integration user must sign in again (npm run consent): ${error.failure.reason ?? 'consent required'}`
      : 'the identity provider did not give a Partner Center token';
  } finally {
    clearTimeout(timer);
  }
  const [last, lostAt] = await Promise.all([
    services.signIn.lastRenewedAt().catch(() => undefined),
    services.signIn.lostAt().catch(() => undefined),
  ]);
  // A token cached from before still answers; the sign-in itself is dead if a refresh since the
  // last renewal found it so (on any instance).
  if (state === 'signedIn' && lostAt && (!last || lostAt.getTime() > last.getTime())) {
    state = 'lost';
    problem =
      'the integration user must sign in again (npm run consent): the stored refresh token was refused';
  }
  const days = last ? Math.floor((Date.now() - last.getTime()) / DAY_MS) : undefined;
  if (
    state === 'signedIn' &&
    days !== undefined &&
    days >= services.settings.SIGN_IN_AT_RISK_DAYS
  ) {
    state = 'atRisk';
  }
  return {
    status: state === 'lost' || state === 'unavailable' ? 'failed' : 'ok',
    state,
    ...(last ? { lastRenewedAt: last.toISOString(), daysSinceRenewal: days } : {}),
    ...(problem ? { problems: [problem] } : {}),
  };
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
  const [tableStorage, partnerCenterSignIn] = resolved
    ? await Promise.all([
        checkTables(resolved, tableTimeoutMs),
        checkSignIn(resolved, tableTimeoutMs),
      ])
    : [
        { status: 'failed' as const, problems: ['not checked: the configuration is invalid'] },
        { status: 'ok' as const, state: 'notChecked' as const },
      ];
  return {
    healthy:
      configuration.status === 'ok' &&
      tableStorage.status === 'ok' &&
      partnerCenterSignIn.status === 'ok',
    checks: { configuration, tableStorage, partnerCenterSignIn },
  };
}
