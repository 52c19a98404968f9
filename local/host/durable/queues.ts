/**
 * When the engine's messages arrive. By default at once (the local convenience). With a queue
 * model, as the Azure Storage provider delivers them, on a scaled clock: idle queues are polled
 * with back-off, a message taken by a worker that died is seen again only after its visibility
 * timeout, a host that died holds its control queues until its lease expires, and an activity
 * message can be delivered twice, to two workers at the same time (at-least-once delivery).
 */

/** The Azure Storage provider's defaults, in production milliseconds (each names its source). */
export const PRODUCTION_QUEUES = {
  /** TaskHubQueue: `minPollingDelay = 50 ms`, the first wait after an empty poll. */
  minPollingIntervalMs: 50,
  /** host.json `maxQueuePollingInterval` (default 30 s): the longest wait between polls. */
  maxPollingIntervalMs: 30_000,
  /** host.json `workItemQueueVisibilityTimeout` / `controlQueueVisibilityTimeout` (5 min). */
  visibilityTimeoutMs: 300_000,
  /** The partition (control queue) lease a dead host keeps until it expires (30 s). */
  leaseIntervalMs: 30_000,
} as const;

export interface QueueModel {
  /**
   * Local milliseconds per production millisecond: 0.01 plays a 30 s poll in 300 ms and a 5 min
   * visibility timeout in 3 s. Durable timers are not scaled: they fire when due, as in Azure.
   */
  scale: number;
  /** The chance (0..1) that an activity message is delivered a second time, concurrently. */
  duplicateActivities: number;
}

/**
 * One queue polled as TaskHubQueue polls it: after an empty poll the wait doubles, from the
 * minimum up to the maximum; a poll that finds a message goes back to the minimum. (The provider
 * randomizes each wait a little; this model doubles exactly, so its delays are reproducible.)
 */
export class PolledQueue {
  /** When the last poll found a message (local ms): the back-off started there. */
  private busyAt: number;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    now: number,
  ) {
    this.busyAt = now;
  }

  /** How long (local ms) a message sent at `now` waits for the poll that finds it. */
  delayFor(now: number): number {
    let poll = this.busyAt;
    for (let wait = this.minMs; poll < now; wait = Math.min(wait * 2, this.maxMs)) poll += wait;
    this.busyAt = poll;
    return poll - now;
  }
}

/** The delays the engine applies; all zero without a queue model. */
export class Delivery {
  private readonly control: PolledQueue | undefined;
  private readonly workItems: PolledQueue | undefined;

  constructor(
    readonly model: QueueModel | undefined,
    private readonly clock: () => number = Date.now,
  ) {
    if (!model) return;
    const min = PRODUCTION_QUEUES.minPollingIntervalMs * model.scale;
    const max = PRODUCTION_QUEUES.maxPollingIntervalMs * model.scale;
    this.control = new PolledQueue(min, max, clock());
    this.workItems = new PolledQueue(min, max, clock());
  }

  /** A message for an orchestration (start, answer, timer, event): the control queue's poll. */
  orchestratorDelay(): number {
    return this.control?.delayFor(this.clock()) ?? 0;
  }

  /** An activity message: the work-item queue's poll. */
  activityDelay(): number {
    return this.workItems?.delayFor(this.clock()) ?? 0;
  }

  /** Whether this activity message is also delivered to a second worker. */
  deliveredTwice(): boolean {
    return this.model !== undefined && Math.random() < this.model.duplicateActivities;
  }

  /** After a restart: an activity taken at `takenAt` (ms) is seen again once its timeout ends. */
  redeliveryDelay(takenAt: number): number {
    if (!this.model) return 0;
    const visibleAt = takenAt + PRODUCTION_QUEUES.visibilityTimeoutMs * this.model.scale;
    return Math.max(0, visibleAt - this.clock());
  }

  /** After a restart: the dead host's control-queue lease runs out before anything resumes. */
  leaseDelay(): number {
    return this.model ? PRODUCTION_QUEUES.leaseIntervalMs * this.model.scale : 0;
  }
}
