import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  createMicrosoftReferralStep,
  createPartnerReferralStep,
  type StepDeps,
} from '../shared/application/shared-referral/activities';
import { sharedReferralOrchestrator } from '../shared/application/shared-referral/orchestrator';
import {
  MICROSOFT_REFERRAL_ACTIVITY,
  PARTNER_REFERRAL_ACTIVITY,
  SHARED_REFERRAL_ORCHESTRATION,
  type StepInput,
} from '../shared/application/shared-referral/flow';
import { createLogger } from '../shared/logging';
import { getServices } from './services';

df.app.orchestration(SHARED_REFERRAL_ORCHESTRATION, sharedReferralOrchestrator);

function stepDeps(input: StepInput, context: InvocationContext, operation: string): StepDeps {
  const { partnerCenter, engagements } = getServices();
  const log = createLogger(context, { correlationId: input.correlationId, operation });
  return { partnerCenter, engagements, log };
}

df.app.activity(PARTNER_REFERRAL_ACTIVITY, {
  handler: (input: StepInput, context: InvocationContext) =>
    createPartnerReferralStep(stepDeps(input, context, PARTNER_REFERRAL_ACTIVITY), input),
});

df.app.activity(MICROSOFT_REFERRAL_ACTIVITY, {
  handler: (input: StepInput, context: InvocationContext) =>
    createMicrosoftReferralStep(stepDeps(input, context, MICROSOFT_REFERRAL_ACTIVITY), input),
});
