/**
 * The queue model's delays, as the Azure Storage provider's TaskHubQueue polls (its back-off from
 * 50 ms to maxQueuePollingInterval) and as its visibility timeout and partition lease hold messages
 * after a crash, on the scaled clock the local host runs them.
 */
import { Delivery, PolledQueue, PRODUCTION_QUEUES } from '../../../../local/host/durable/queues';

describe('a polled queue', () => {
  it('finds a message at once while busy, and up to the longest poll after being idle', () => {
    const queue = new PolledQueue(50, 30000, 0);
    // Polls at 50, 150, 350, 750, ... (the wait doubles after each empty poll).
    expect(queue.delayFor(40)).toBe(10);
    // Found at 50: busy again, the next polls come 50 ms apart.
    expect(queue.delayFor(60)).toBe(40);
    // Idle for ten minutes: the polls are 30 s apart by then.
    const later = 600000;
    const wait = queue.delayFor(later);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30000);
  });

  it('delivers messages sent together at the same poll', () => {
    const queue = new PolledQueue(50, 30000, 0);
    const first = queue.delayFor(10000);
    expect(queue.delayFor(10000)).toBe(first);
  });
});

describe('the delivery model', () => {
  const at = (now: number) => () => now;

  it('delays nothing without a queue model (the local convenience)', () => {
    const delivery = new Delivery(undefined, at(1000));
    expect(delivery.orchestratorDelay()).toBe(0);
    expect(delivery.activityDelay()).toBe(0);
    expect(delivery.redeliveryDelay(0)).toBe(0);
    expect(delivery.leaseDelay()).toBe(0);
    expect(delivery.deliveredTwice()).toBe(false);
  });

  it("plays production's delays on the stated scale", () => {
    const scale = 0.01;
    const delivery = new Delivery({ scale, duplicateActivities: 1 }, at(1000));
    expect(delivery.leaseDelay()).toBe(PRODUCTION_QUEUES.leaseIntervalMs * scale);
    // Taken 1 s before a restart: seen again once 3 s (5 min scaled) have passed since.
    expect(delivery.redeliveryDelay(0)).toBe(PRODUCTION_QUEUES.visibilityTimeoutMs * scale - 1000);
    expect(delivery.redeliveryDelay(-10000)).toBe(0);
    expect(delivery.deliveredTwice()).toBe(true);
  });
});
