/**
 * Shared referral operations run in-process for tests: the real orchestrator through
 * durable-functions' replay code (see durable-replay.ts) and the real activities, with the
 * extension's part (histories, retries) played here. Retry waits are not slept.
 */
import type {
  OperationStatus,
  Orchestrations,
} from '../../shared/application/shared-referral/operations';
import { sharedReferralOrchestrator } from '../../shared/application/shared-referral/orchestrator';
import {
  SHARED_REFERRAL_ORCHESTRATION,
  type SharedReferralInput,
} from '../../shared/application/shared-referral/flow';
import { History, replay } from './durable-replay';

export type Activities = Record<string, (input: unknown) => Promise<unknown>>;

interface Instance {
  status: OperationStatus;
  done: Promise<void>;
}

interface ScheduledAction {
  functionName: string;
  input: unknown;
  retryOptions?: { maxNumberOfAttempts: number };
}

export class InProcessOrchestrations implements Orchestrations {
  private readonly instances = new Map<string, Instance>();

  constructor(private readonly activities: Activities) {}

  async status(operationId: string): Promise<OperationStatus | undefined> {
    const instance = this.instances.get(operationId);
    return instance ? { ...instance.status } : undefined;
  }

  async start(operationId: string, input: SharedReferralInput): Promise<void> {
    const current = this.instances.get(operationId);
    if (current && ['Pending', 'Running'].includes(current.status.runtimeStatus)) {
      throw new Error(`instance ${operationId} is running`);
    }
    const status: OperationStatus = { runtimeStatus: 'Running', input };
    const instance: Instance = { status, done: Promise.resolve() };
    this.instances.set(operationId, instance);
    instance.done = this.drive(operationId, input, status);
  }

  /** Resolves when every instance has stopped running. */
  async settled(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.done));
  }

  private async drive(id: string, input: SharedReferralInput, status: OperationStatus) {
    const history = new History(SHARED_REFERRAL_ORCHESTRATION, input);
    let handled = 0;
    for (;;) {
      const { state, failure } = await replay(sharedReferralOrchestrator, id, history, input);
      status.customStatus = state.customStatus;
      if (failure !== undefined) {
        Object.assign(status, { runtimeStatus: 'Failed', output: failure });
        return;
      }
      if (state.isDone) {
        Object.assign(status, { runtimeStatus: 'Completed', output: state.output });
        return;
      }
      const actions = state.actions.flat() as ScheduledAction[];
      const action = actions[handled++];
      if (!action)
        throw new Error('the orchestrator is waiting for something this driver does not do');
      const run = this.activities[action.functionName];
      if (!run) throw new Error(`no activity ${action.functionName}`);
      const attempts = action.retryOptions?.maxNumberOfAttempts ?? 1;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const scheduledId = history.scheduled(action.functionName);
        try {
          history.completed(scheduledId, await run(action.input));
          break;
        } catch (error) {
          history.failed(scheduledId, error instanceof Error ? error.message : String(error));
          if (action.retryOptions) history.retryTimer();
        }
      }
    }
  }
}
