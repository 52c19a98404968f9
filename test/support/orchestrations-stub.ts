/**
 * A stand-in for the Durable orchestration client, for route tests: what they test is the route
 * (what it starts, how it answers each state), not the flow. The flow itself runs through
 * durable-functions' replay code (orchestrator tests) and through the local host (end-to-end).
 */
import type {
  Instances,
  OperationStatus,
} from '../../shared/application/shared-referral/operations';
import type {
  SharedReferralInput,
  SharedReferralOutput,
  SharedReferralProgress,
} from '../../shared/application/shared-referral/flow';

export class OrchestrationsStub<I = SharedReferralInput> implements Instances<I> {
  readonly instances = new Map<string, OperationStatus>();
  /** Every start, in order, with its input. */
  readonly started: { operationId: string; input: I }[] = [];
  /** What a started instance becomes at once; undefined leaves it running. */
  onStart: ((operationId: string, input: I) => OperationStatus) | undefined;

  async status(operationId: string): Promise<OperationStatus | undefined> {
    const instance = this.instances.get(operationId);
    return instance ? { ...instance } : undefined;
  }

  async start(operationId: string, input: I): Promise<void> {
    const current = this.instances.get(operationId);
    // As the extension with NonRunningStates: a running instance cannot be started again.
    if (current && ['Pending', 'Running'].includes(current.runtimeStatus)) {
      throw new Error(`instance ${operationId} is running`);
    }
    this.started.push({ operationId, input });
    this.instances.set(
      operationId,
      this.onStart?.(operationId, input) ?? { runtimeStatus: 'Running', input },
    );
  }

  complete(operationId: string, output: SharedReferralOutput): void {
    this.set(operationId, { runtimeStatus: 'Completed', output });
  }

  fail(operationId: string, progress: SharedReferralProgress | undefined): void {
    this.set(operationId, { runtimeStatus: 'Failed', customStatus: progress, output: 'failed' });
  }

  progress(operationId: string, progress: SharedReferralProgress): void {
    this.set(operationId, { runtimeStatus: 'Running', customStatus: progress });
  }

  private set(operationId: string, changes: Partial<OperationStatus>): void {
    const current = this.instances.get(operationId);
    if (!current) throw new Error(`no instance ${operationId}`);
    this.instances.set(operationId, { ...current, ...changes });
  }
}
