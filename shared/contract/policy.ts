/**
 * The gateway's own policy for referrals: limits and co-sell preconditions Partner Center does not
 * document. Named as policy in every error they cause, configurable (REFERRAL_POLICY, JSON), with
 * defaults that no published example comes near.
 */
import * as z from 'zod';

/** What Microsoft's co-sell tools require before a referral is shared with Microsoft. */
export const CO_SELL_CHECKS = [
  'customerContact',
  'solution',
  'dealValue',
  'sharingConsent',
] as const;
export type CoSellCheck = (typeof CO_SELL_CHECKS)[number];

export const ReferralPolicySchema = z.strictObject({
  /** Names, addresses, ids and other short texts. */
  maxTextLength: z.number().int().positive(),
  /** Notes and the status reason. */
  maxNotesLength: z.number().int().positive(),
  maxExternalReferenceIdLength: z.number().int().positive(),
  /** Team members, tags, solutions, targets, ids: entries per list. */
  maxListItems: z.number().int().positive(),
  maxDealValue: z.number().positive(),
  /** Checked when a referral is shared with Microsoft (type Shared, or shared with its sellers). */
  coSellRequires: z.array(z.enum(CO_SELL_CHECKS)),
});

export type ReferralPolicy = z.infer<typeof ReferralPolicySchema>;

export const DEFAULT_POLICY: ReferralPolicy = Object.freeze({
  maxTextLength: 256,
  maxNotesLength: 4000,
  maxExternalReferenceIdLength: 100,
  maxListItems: 50,
  maxDealValue: 1e12,
  coSellRequires: [...CO_SELL_CHECKS],
});

/** The policy a REFERRAL_POLICY setting describes: the defaults with its values over them. */
export const PolicySettingSchema = z
  .string()
  .optional()
  .transform((text, ctx): ReferralPolicy => {
    if (text === undefined || text.trim() === '') return DEFAULT_POLICY;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON object, e.g. {"maxNotesLength":8000}',
      });
      return z.NEVER;
    }
    const parsed = ReferralPolicySchema.partial().safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.join('.') || 'value'}: ${i.message}`,
      );
      ctx.addIssue({
        code: 'custom',
        message: `must be a JSON object of policy values (${Object.keys(DEFAULT_POLICY).join(', ')}); ${problems.join('; ')}`,
      });
      return z.NEVER;
    }
    return Object.freeze({ ...DEFAULT_POLICY, ...parsed.data });
  });
