import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { runStep } from '../shared/application/shared-referral/activities';
import {
  SHARED_REFERRAL_ORCHESTRATION,
  SHARED_STEPS,
  stepActivity,
  type StepInput,
} from '../shared/application/shared-referral/flow';
import { sharedReferralOrchestrator } from '../shared/application/shared-referral/orchestrator';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

df.app.orchestration(SHARED_REFERRAL_ORCHESTRATION, sharedReferralOrchestrator);

for (const step of SHARED_STEPS) {
  const name = stepActivity(step);
  df.app.activity(name, {
    handler: (input: StepInput, context: InvocationContext) => {
      const { partnerCenter, engagements, idempotencyPolicy: policy } = getServices();
      const log = createLogger(context, { correlationId: input.correlationId, operation: name });
      return runStep({ partnerCenter, engagements, log, policy }, step, input);
    },
  });
}
