/**
 * Writes a request starts but does not wait for before answering: after a create, the stored
 * outcome (replayed to repeats) and the creator's record (the read model). The answer leaves one
 * storage round trip sooner (docs/performance.md measures it).
 *
 * Safe because losing them costs time, never a referral: the Functions Node model does not promise
 * that work after the answer finishes (an instance can be reclaimed), and then a repeat finds the
 * reservation without an outcome, waits out its lease and reconciles it with Partner Center's list
 * (create-referral.ts), adopting the referral instead of making another. On an orderly stop the
 * app waits for them (the app-terminate hook), and a read of a referral on the instance that
 * created it waits for that referral's writes, so its creator reads it back there at once.
 */
export interface AfterAnswer {
  /** Runs the writes for a referral after the answer (or before it); never rejects. */
  defer(referralId: string, writes: () => Promise<void>): Promise<void>;
  /** Resolves once this instance has no unfinished writes for the referral. */
  settled(referralId: string): Promise<void>;
}

/** The writes held until they finish (tests, tools): the answer waits for them. */
export const awaitWrites: AfterAnswer = {
  defer: (_referralId, writes) => writes(),
  settled: () => Promise.resolve(),
};

/** The writes of this instance still running after their answer, by referral. */
export class PendingWrites implements AfterAnswer {
  private readonly running = new Map<string, Promise<void>>();

  defer(referralId: string, writes: () => Promise<void>): Promise<void> {
    // Started on the next turn of the event loop, once the answer is on its way: preparing two
    // Table Storage requests takes CPU the answer need not wait for. The writes handle their own
    // failures (they log, and are reconciled later); the catch is a guard.
    const tracked = new Promise<void>((resolve) => setImmediate(resolve))
      .then(writes)
      .catch(() => undefined);
    const previous = this.running.get(referralId);
    const all = previous ? Promise.all([previous, tracked]).then(() => undefined) : tracked;
    this.running.set(referralId, all);
    void all.then(() => {
      if (this.running.get(referralId) === all) this.running.delete(referralId);
    });
    return Promise.resolve();
  }

  settled(referralId: string): Promise<void> {
    return this.running.get(referralId) ?? Promise.resolve();
  }

  /** How many referrals still have writes running. */
  get size(): number {
    return this.running.size;
  }

  /** Waits for every write started so far (an orderly stop). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
