/**
 * The shapes of the gateway's answers as zod schemas: the API description for Power Automate
 * (`npm run connector`) is generated from these and the referral contract, and the end-to-end
 * tests parse real answers with them, so the description cannot drift from what is sent.
 */
import { z } from 'zod';
import { ReferralSchema, TargetSchema } from '../contract/schema';

const text = (description: string) => z.string().describe(description);

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: text('What went wrong, for flows to branch on, e.g. invalidRequest, unauthorized.'),
      message: text('What went wrong and what to do, in words.'),
      target: text('Where: referral, request, Authorization, a header or route parameter.'),
      details: z
        .array(
          z.object({
            path: text('JSON path of the offending value, e.g. $.customerProfile.team[0].email.'),
            code: text('What is wrong with it, e.g. required, invalidValue.'),
            message: text('What is wrong and what is allowed.'),
          }),
        )
        .describe('Every problem found, when there are several.'),
      upstream: z
        .object({
          status: z.number().int().describe("Partner Center's HTTP status."),
          code: z.string().optional(),
          message: z.string().optional(),
          requestId: z.string().optional(),
          clientRequestId: z.string().optional(),
        })
        .optional()
        .describe('What Partner Center answered, when the failure comes from it.'),
    }),
  })
  .describe('The error envelope of every failure.');

export const OperationRunningSchema = z
  .object({
    operationId: text('The shared referral operation; poll its Location.'),
    state: z.literal('running'),
    step: z
      .enum(['partnerReferral', 'microsoftReferral', 'completed', 'failed'])
      .describe('The step in progress.'),
    engagementId: z.string().optional().describe('Known once the first referral exists.'),
  })
  .describe('A shared referral still being created.');

export const SharedReferralOutcomeSchema = z
  .object({
    operationId: text('The shared referral operation.'),
    engagementId: text('The engagement both referrals belong to.'),
    partnerReferral: ReferralSchema.describe('Your referral (step 1).'),
    microsoftReferral: ReferralSchema.describe('The connected referral for Microsoft (step 2).'),
  })
  .describe('A shared referral, both steps done.');

export const EngagementMappingSchema = z
  .object({
    engagementId: z.string(),
    state: z.enum(['partnerReferralCreated', 'complete']),
    operationId: z.string(),
    externalReferenceId: z.string().optional(),
    caller: text("The Entra object id of the caller that created it ('anonymous' locally)."),
    callerAppId: z.string().optional(),
    callerName: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    referrals: z.array(
      z.object({
        role: z.enum(['partner', 'microsoft']),
        referralId: z.string(),
        target: TargetSchema.optional(),
        createdAt: z.string(),
        status: z.string().optional().describe('With refresh=true: the current status.'),
        substatus: z.string().optional().describe('With refresh=true: the current substatus.'),
      }),
    ),
  })
  .describe('The referrals of an engagement created through this gateway.');

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
