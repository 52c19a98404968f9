/**
 * Engagements as this gateway records them: a shared referral puts two referrals on one
 * engagement, the partner's (step 1) and the connected one for Microsoft (step 2). The role names
 * both the referral and the step that creates it, everywhere (activities, progress, table rows).
 */
import * as z from 'zod';
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

/** An engagement as Partner Center has it, with what this gateway recorded about it. */
export const EngagementSchema = EngagementMappingSchema.partial({
  state: true,
  operationId: true,
  createdAt: true,
  updatedAt: true,
})
  .extend({
    recorded: z
      .boolean()
      .describe('Whether this gateway created the engagement (a shared referral of its own).'),
    referrals: z.array(
      z.object({
        referralId: z.string(),
        role: z
          .enum(REFERRAL_ROLES)
          .optional()
          .describe("partner or microsoft: the two referrals of this gateway's shared referral."),
        createdThroughGateway: z
          .boolean()
          .describe('False for referrals others added, e.g. Microsoft on its side.'),
        createdBy: text(
          'The Entra object id of the caller that created it; shown to Referrals.Read.All only.',
        ).optional(),
        target: TargetSchema.optional(),
        createdAt: z.string().optional(),
        status: z.string().optional(),
        substatus: z.string().optional(),
        direction: z.string().optional(),
        referral: ReferralSchema.optional().describe(
          'The referral as Partner Center has it now; absent when it has none by this id.',
        ),
      }),
    ),
  })
  .describe(
    "An engagement's referrals as Partner Center has them, with what the gateway recorded.",
  );

export type Engagement = z.infer<typeof EngagementSchema>;
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
