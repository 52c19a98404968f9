import { awaitWrites, PendingWrites } from '../../../shared/application/after-answer';

const later = () => {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { done, finish };
};

describe('writes after the answer', () => {
  test('the answer does not wait for them; a read of the referral and an orderly stop do', async () => {
    const pending = new PendingWrites();
    const write = later();
    let written = false;
    await pending.defer('r1', async () => {
      await write.done;
      written = true;
    });
    expect(pending.size).toBe(1);

    const otherReferral = await Promise.race([
      pending.settled('r2').then(() => 'settled'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 20)),
    ]);
    expect(otherReferral).toBe('settled');
    const read = pending.settled('r1');
    write.finish();
    await read;
    expect(written).toBe(true);
    await pending.drain();
    expect(pending.size).toBe(0);
  });

  test('they start only after the answer has gone (the next turn of the event loop)', async () => {
    const pending = new PendingWrites();
    let started = false;
    await pending.defer('r1', async () => {
      started = true;
    });
    expect(started).toBe(false);
    await pending.drain();
    expect(started).toBe(true);
  });

  test('a failed write never rejects, and stop waits for writes deferred while it waits', async () => {
    const pending = new PendingWrites();
    await pending.defer('r1', () => Promise.reject(new Error('storage down')));
    const second = later();
    await pending.defer('r2', () => second.done);
    const stopped = pending.drain();
    await pending.defer('r3', () => Promise.resolve());
    second.finish();
    await expect(stopped).resolves.toBeUndefined();
    expect(pending.size).toBe(0);
  });

  test('held writes (tests, tools) finish before the answer', async () => {
    let written = false;
    await awaitWrites.defer('r1', async () => {
      written = true;
    });
    expect(written).toBe(true);
  });
});
