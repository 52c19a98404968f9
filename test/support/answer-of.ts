import { answerFor } from '../../shared/api/responses';
import type { ErrorEnvelope } from '../../shared/contract/errors';

export interface FailureAnswer {
  /** What was thrown, as thrown (a typed failure of its layer). */
  raw: unknown;
  /** How the HTTP edge answers it. */
  status: number;
  envelope: ErrorEnvelope;
  message: string;
  retryAfterSeconds: number | undefined;
}

/** How the failure a promise rejects with is answered; fails the test if it resolves. */
export async function answerOf(promise: Promise<unknown>): Promise<FailureAnswer> {
  try {
    await promise;
  } catch (error) {
    const answered = answerFor(error, 'test-correlation-id');
    if (answered.log === 'crashed') throw error; // not a failure the layers meant to raise
    const retryAfter = answered.headers['retry-after'];
    return {
      raw: error,
      status: answered.status,
      envelope: { error: answered.body },
      message: answered.body.message,
      retryAfterSeconds: retryAfter === undefined ? undefined : Number(retryAfter),
    };
  }
  throw new Error('expected the promise to fail');
}
