/**
 * Structured logs: one JSON object per event, through the invocation context so the host routes
 * them to Application Insights. The fields are a closed list on purpose: there is no place for
 * bodies, contact data, tokens or secrets.
 */
export interface LogFields {
  correlationId?: string;
  operation?: string;
  referralId?: string;
  engagementId?: string;
  status?: number;
  code?: string;
  attempt?: number;
  outcome?: string;
  reason?: string;
  requestId?: string;
  clientRequestId?: string;
  /** The MS-CorrelationId of one Partner Center attempt. */
  msCorrelationId?: string;
  /** Property paths only (never values), e.g. forwarded unknown properties. */
  properties?: string;
  durationMs?: number;
  delayMs?: number;
  replayed?: boolean;
  keySource?: string;
  callerId?: string;
  callerAppId?: string;
  count?: number;
  /** What a change of a referral was: update, close, accept, decline, registerDeal. */
  action?: string;
  /** A Partner Center event: its derived id and its name (referral-updated, ...). */
  eventId?: string;
  eventName?: string;
  subscriptionId?: string;
  /** A shared referral operation (an operator's re-drive names it). */
  operationId?: string;
  /** Independent or Shared: what was created. */
  referralType?: string;
}

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** The part of an `InvocationContext` logging needs. */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export function createLogger(sink: LogSink, base: LogFields = {}): Logger {
  const line = (event: string, fields: LogFields = {}) =>
    JSON.stringify({ event, ...base, ...fields });
  return {
    info: (event, fields) => sink.info(line(event, fields)),
    warn: (event, fields) => sink.warn(line(event, fields)),
    error: (event, fields) => sink.error(line(event, fields)),
  };
}
