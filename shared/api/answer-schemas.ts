/**
 * The shapes of the gateway's answers as zod schemas: the API description for Power Automate
 * (`npm run connector`) is generated from these and the referral contract, and the end-to-end
 * tests parse real answers with them, so the description cannot drift from what is sent. The
 * answers' TypeScript types are inferred from the same schemas.
 */
import * as z from 'zod';
import {
  EngagementMappingSchema,
  EngagementSchema,
  SharedReferralOutcomeSchema,
} from '../contract/engagement';
import { ErrorEnvelopeSchema } from '../contract/errors';
import { ReferralSchema } from '../contract/schema';

export {
  EngagementMappingSchema,
  EngagementSchema,
  ErrorEnvelopeSchema,
  SharedReferralOutcomeSchema,
};

export const ReferralListAnswerSchema = z
  .object({
    value: z.array(ReferralSchema).describe('The referrals of this page.'),
    nextLink: z
      .string()
      .optional()
      .describe('Where the next page is; absent on the last page. Follow it as given.'),
  })
  .describe('A page of referrals.');

export type ReferralListAnswer = z.infer<typeof ReferralListAnswerSchema>;

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

export const CreateRunningSchema = z
  .object({
    requestId: z.string().describe('The create still running; poll its Location.'),
    state: z.literal('running'),
  })
  .describe('An independent referral whose first request is still being created.');

export type CreateRunning = z.infer<typeof CreateRunningSchema>;

/**
 * What a create answers with 201, in one shape a flow can read either way: an Independent
 * referral is the referral itself; a Shared one is the engagement with both referrals.
 */
export const CreatedReferralSchema = ReferralSchema.partial()
  .extend({
    operationId: z.string().optional().describe('Shared: the operation that created both.'),
    engagementId: z.string().nullable().optional().describe('The engagement of the referral(s).'),
    partnerReferral: ReferralSchema.optional().describe('Shared: your referral (step 1).'),
    microsoftReferral: ReferralSchema.optional().describe(
      'Shared: the connected referral for Microsoft (step 2).',
    ),
  })
  .describe('The created referral (Independent), or both referrals of the engagement (Shared).');

const CheckSchema = z.object({
  status: z.enum(['ok', 'failed']),
  durationMs: z.number().optional(),
  problems: z.array(z.string()).optional(),
});

export const HealthSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    checks: z.object({
      configuration: CheckSchema,
      tableStorage: CheckSchema,
      partnerCenterSignIn: z
        .object({
          status: z.enum(['ok', 'failed']),
          state: z
            .enum(['signedIn', 'atRisk', 'lost', 'unavailable', 'notChecked'])
            .describe(
              "The integration user's sign-in: lost means sign in again (npm run consent); atRisk, not renewed for SIGN_IN_AT_RISK_DAYS.",
            ),
          lastRenewedAt: z.string().optional(),
          daysSinceRenewal: z.number().int().optional(),
          problems: z.array(z.string()).optional(),
        })
        .describe('Whether Partner Center tokens can be obtained for the integration user.'),
    }),
  })
  .describe(
    "Whether the gateway can serve: configuration, Table Storage and the integration user's sign-in.",
  );

export type HealthAnswer = z.infer<typeof HealthSchema>;
