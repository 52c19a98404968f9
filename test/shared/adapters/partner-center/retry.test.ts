import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfterMs,
} from '../../../../shared/adapters/partner-center/retry';

test('retries timeouts, throttling and server faults, never other 4xx', () => {
  expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
  expect([400, 401, 403, 404, 409, 412, 422].some(isRetryableStatus)).toBe(false);
});

test('back-off grows exponentially, is capped, and is jittered between half and full', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
  expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, policy, () => 1))).toEqual([
    100, 200, 400, 800, 1000, 1000,
  ]);
  expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, policy, () => 0))).toEqual([
    50, 100, 200, 400, 500, 500,
  ]);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  expect(parseRetryAfterMs('7', now)).toBe(7000);
  expect(parseRetryAfterMs('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30000);
  expect(parseRetryAfterMs('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfterMs(null, now)).toBeUndefined();
  expect(parseRetryAfterMs('soon', now)).toBeUndefined();
});
