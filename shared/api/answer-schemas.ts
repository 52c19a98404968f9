/**
 * The shapes of the gateway's answers as zod schemas: the API description for Power Automate
 * (`npm run connector`) is generated from these and the referral contract, and the end-to-end
 * tests parse real answers with them, so the description cannot drift from what is sent. The
 * answers' TypeScript types are inferred from the same schemas.
 */
import { z } from 'zod';
import { EngagementMappingSchema, SharedReferralOutcomeSchema } from '../contract/engagement';
import { ErrorEnvelopeSchema } from '../contract/errors';

export { EngagementMappingSchema, ErrorEnvelopeSchema, SharedReferralOutcomeSchema };

export const OperationRunningSchema = z
  .object({
    operationId: z.string().describe('The shared referral operation; poll its Location.'),
    state: z.literal('running'),
    step: z
      .enum(['partnerReferral', 'microsoftReferral', 'completed', 'failed'])
      .describe('The step in progress.'),
    engagementId: z.string().optional().describe('Known once the first referral exists.'),
  })
  .describe('A shared referral still being created.');

export type OperationRunning = z.infer<typeof OperationRunningSchema>;

const CheckSchema = z.object({
  status: z.enum(['ok', 'failed']),
  durationMs: z.number().optional(),
  problems: z.array(z.string()).optional(),
});

export const HealthSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    checks: z.object({ configuration: CheckSchema, tableStorage: CheckSchema }),
  })
  .describe('Whether the gateway can serve: configuration and Table Storage.');

export type HealthAnswer = z.infer<typeof HealthSchema>;
