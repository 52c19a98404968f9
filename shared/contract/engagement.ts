/**
 * Engagements as this gateway records them: a shared referral puts two referrals on one
 * engagement, the partner's (step 1) and the connected one for Microsoft (step 2). The role names
 * both the referral and the step that creates it, everywhere (activities, progress, table rows).
 */
import { z } from 'zod';
import { ReferralSchema, TargetSchema } from './schema';

export const REFERRAL_ROLES = ['partner', 'microsoft'] as const;
export type ReferralRole = (typeof REFERRAL_ROLES)[number];

const text = (description: string) => z.string().describe(description);

export const EngagementMappingSchema = z
  .object({
    engagementId: z.string(),
    state: z.enum(['partnerReferralCreated', 'complete']),
    operationId: z.string(),
    externalReferenceId: z.string().optional(),
    caller: text(
      "The Entra object id of the caller that created it ('anonymous' locally); shown to Referrals.Read.All only.",
    ).optional(),
    callerAppId: z.string().optional(),
    callerName: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    referrals: z.array(
      z.object({
        role: z.enum(REFERRAL_ROLES),
        referralId: z.string(),
        target: TargetSchema.optional(),
        createdAt: z.string(),
        status: z.string().optional().describe('With refresh=true: the current status.'),
        substatus: z.string().optional().describe('With refresh=true: the current substatus.'),
      }),
    ),
  })
  .describe('The referrals of an engagement created through this gateway.');

export type EngagementMapping = z.infer<typeof EngagementMappingSchema>;
export type EngagementState = EngagementMapping['state'];
export type EngagementReferral = EngagementMapping['referrals'][number];

export const SharedReferralOutcomeSchema = z
  .object({
    operationId: text('The shared referral operation.'),
    engagementId: text('The engagement both referrals belong to.'),
    partnerReferral: ReferralSchema.describe('Your referral (step 1).'),
    microsoftReferral: ReferralSchema.describe('The connected referral for Microsoft (step 2).'),
    resentAfterUnknownOutcome: z
      .array(z.enum(['partner', 'microsoft']))
      .optional()
      .describe(
        'Steps whose create was sent again after an earlier send had no known outcome and nothing was listed within the assumed delay: should Partner Center list a referral later than that, a duplicate exists for these.',
      ),
  })
  .describe('A shared referral, both steps done.');

export type SharedReferralOutcome = z.infer<typeof SharedReferralOutcomeSchema>;
