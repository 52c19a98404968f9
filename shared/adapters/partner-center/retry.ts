/** When and how long to wait before retrying a Partner Center call. Pure; no I/O. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First back-off step; doubles each attempt. */
  baseDelayMs: number;
  /** No single wait is longer than this (a Retry-After longer than the deadline ends retrying). */
  maxDelayMs: number;
  /** Overall budget for one logical operation, every attempt and wait included. */
  deadlineMs: number;
  /** One attempt is abandoned after this long. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 400,
  maxDelayMs: 8000,
  deadlineMs: 60000,
  attemptTimeoutMs: 20000,
};

/** Statuses worth another try: timeouts, throttling and server faults. Never other 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Capped exponential back-off with "equal jitter": half fixed, half random, so waits spread. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from `now`; undefined if absent/bad. */
export function parseRetryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
