/**
 * The referral contract: zod schemas for every type of the Partner Center Referrals API, in the
 * canonical camelCase the service speaks. The TypeScript types are inferred from them.
 *
 * Friendly spellings (PascalCase, aliases, enum case) are handled before these schemas by
 * `canonicalize.ts`, which reads the `aliases` and `normalize` metadata attached here.
 */
import { z } from 'zod';
import { ISO_COUNTRY_CODES, ISO_CURRENCY_CODES } from './iso-codes';
import { REFERRAL_STATUSES, REFERRAL_SUBSTATUSES } from './status-rules';

/** Caps on sizes, so one request cannot carry unbounded data into Partner Center or our logs. */
export const LIMITS = {
  shortText: 256,
  name: 256,
  externalReferenceId: 100,
  statusReason: 1024,
  notes: 4000,
  email: 254,
  phoneNumber: 32,
  members: 50,
  tags: 50,
  targets: 10,
  externalIds: 10,
  dealValue: 1e12,
} as const;

/** Metadata read by the canonicalizer. */
export interface ContractMeta {
  /** Extra accepted property names (compared case-insensitively) → canonical name. */
  aliases?: Record<string, string>;
  /** Value normalization applied before validation. */
  normalize?: 'upperCase';
}

export const contractMeta = z.registry<ContractMeta>();

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `must be at most ${max} characters` });
const requiredText = (max: number) => text(max).min(1, { error: 'must not be empty' });
const email = z
  .string()
  .trim()
  .max(LIMITS.email, { error: `must be at most ${LIMITS.email} characters` })
  .pipe(z.email({ error: 'must be a valid e-mail address' }));

const isUtcDateTime = (value: string): boolean => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?(Z|\+00:00|-00:00)$/.exec(
    value,
  );
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60
  );
};

export const utcDateTime = z.string().refine(isUtcDateTime, {
  error: 'must be an ISO 8601 date-time in UTC, e.g. 2026-11-14T00:00:00Z',
  params: { code: 'invalidDateTime' },
});

export const countryCode = z.string().refine((v) => ISO_COUNTRY_CODES.has(v), {
  error: 'must be an ISO 3166-1 alpha-2 country code, e.g. US, DE, JP',
  params: { code: 'invalidCountry' },
});
contractMeta.add(countryCode, { normalize: 'upperCase' });

export const currencyCode = z.string().refine((v) => ISO_CURRENCY_CODES.has(v), {
  error: 'must be an ISO 4217 currency code, e.g. USD, EUR, JPY',
  params: { code: 'invalidCurrency' },
});
contractMeta.add(currencyCode, { normalize: 'upperCase' });

export const ReferralStatusSchema = z.enum(REFERRAL_STATUSES);
export const ReferralSubstatusSchema = z.enum(REFERRAL_SUBSTATUSES);
export const ReferralTypeSchema = z.enum(['Independent', 'Shared']);
export const ReferralQualificationSchema = z.enum([
  'None',
  'Direct',
  'MarketingQualified',
  'SalesQualified',
]);
export const SolutionTypeSchema = z.enum(['None', 'Category', 'Name']);
export const TargetTypeSchema = z.enum(['None', 'BusinessProfileLocation', 'SolutionProfile']);

export const AddressSchema = z.object({
  addressLine1: text(LIMITS.shortText).optional(),
  addressLine2: text(LIMITS.shortText).optional(),
  city: text(LIMITS.shortText).optional(),
  state: text(LIMITS.shortText).optional(),
  postalCode: text(32).optional(),
  country: countryCode,
  region: text(LIMITS.shortText).optional(),
});

export const ContactPreferenceSchema = z.object({
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, {
      error: 'must be a language tag such as en-us',
    })
    .optional(),
  disableNotifications: z.boolean().optional(),
});

export const MemberSchema = z.object({
  firstName: requiredText(LIMITS.shortText),
  lastName: requiredText(LIMITS.shortText),
  email,
  phoneNumber: z
    .string()
    .trim()
    .max(LIMITS.phoneNumber, { error: `must be at most ${LIMITS.phoneNumber} characters` })
    .regex(/^\+?[0-9 ()./-]{3,}$/, {
      error: 'must be a phone number: digits, spaces and + ( ) . - only',
    })
    .optional(),
  contactPreference: ContactPreferenceSchema.optional(),
});

const members = z.array(MemberSchema).max(LIMITS.members, {
  error: `must have at most ${LIMITS.members} members`,
});

export const ExternalIdsSchema = z.object({
  duns: text(LIMITS.shortText).optional(),
  external: text(LIMITS.shortText).optional(),
});

export const CustomerProfileSchema = z.object({
  name: requiredText(LIMITS.name),
  address: AddressSchema,
  size: text(LIMITS.shortText).optional(),
  team: members.optional(),
  // The documentation's examples show `ids` both as an empty array and as an object.
  ids: z
    .union([
      ExternalIdsSchema,
      z.array(ExternalIdsSchema).max(LIMITS.externalIds, {
        error: `must have at most ${LIMITS.externalIds} entries`,
      }),
    ])
    .optional(),
});

export const ConsentSchema = z.object({
  consentToToShareInfoWithOthers: z.boolean(),
  consentToContact: z.boolean(),
  consentToMicrosoftToContactSpecificPartners: z.boolean().optional(),
  consentToShareReferralWithMicrosoftSellers: z.boolean().optional(),
});
contractMeta.add(ConsentSchema, {
  // The service's real name has a double "To"; people naturally write it once.
  aliases: { consentToShareInfoWithOthers: 'consentToToShareInfoWithOthers' },
});

/** Tag ids are open values: the live service accepts more than the documented lists. */
export const TagSchema = z.object({ id: requiredText(LIMITS.shortText) });
export const SolutionTagSchema = z.object({
  id: requiredText(LIMITS.shortText),
  name: text(LIMITS.shortText).optional(),
  type: SolutionTypeSchema.optional(),
});

const tags = <T extends z.ZodType>(schema: T) =>
  z.array(schema).max(LIMITS.tags, { error: `must have at most ${LIMITS.tags} entries` });

export const ReferralRequirementsSchema = z.object({
  industries: tags(TagSchema).optional(),
  products: tags(TagSchema).optional(),
  services: tags(TagSchema).optional(),
  solutions: tags(SolutionTagSchema).optional(),
  additionalRequirements: text(LIMITS.notes).optional(),
});

export const ReferralDetailsSchema = z.object({
  notes: text(LIMITS.notes).optional(),
  dealValue: z
    .number({ error: 'must be a number' })
    .refine(Number.isFinite, { error: 'must be a finite number' })
    .min(0, { error: 'must be 0 or more' })
    .max(LIMITS.dealValue, { error: `must be at most ${LIMITS.dealValue}` })
    .optional(),
  currency: currencyCode.optional(),
  closingDateTime: utcDateTime.optional(),
  requirements: ReferralRequirementsSchema.optional(),
});

export const InvitedBySchema = z.object({
  organizationId: requiredText(LIMITS.shortText),
  organizationName: text(LIMITS.shortText).optional(),
});

export const InviteContextSchema = z.object({
  notes: text(LIMITS.notes).optional(),
  invitedBy: InvitedBySchema.optional(),
});

export const TargetSchema = z.object({
  type: TargetTypeSchema,
  id: requiredText(LIMITS.shortText),
});

export const LinkSchema = z.object({ uri: z.string(), method: z.string() });
export const ReferralLinksSchema = z.object({
  relatedReferrals: LinkSchema.optional(),
  self: LinkSchema.optional(),
});

/** What a caller may send to create a referral (canonical names). */
export const ReferralCreateRequestSchema = z.object({
  name: text(LIMITS.name).optional(),
  externalReferenceId: text(LIMITS.externalReferenceId).optional(),
  engagementId: requiredText(LIMITS.shortText).optional(),
  status: ReferralStatusSchema.optional(),
  substatus: ReferralSubstatusSchema.optional(),
  statusReason: text(LIMITS.statusReason).optional(),
  type: ReferralTypeSchema,
  qualification: ReferralQualificationSchema.optional(),
  customerProfile: CustomerProfileSchema,
  consent: ConsentSchema,
  details: ReferralDetailsSchema,
  team: members.optional(),
  inviteContext: InviteContextSchema.optional(),
  target: z
    .array(TargetSchema)
    .max(LIMITS.targets, { error: `must have at most ${LIMITS.targets} targets` })
    .optional(),
  // Newer documentation, for services co-sell referrals.
  partnerRole: text(LIMITS.shortText).optional(),
  solutionArea: text(LIMITS.shortText).optional(),
  solutionPlay: text(LIMITS.shortText).optional(),
});
contractMeta.add(ReferralCreateRequestSchema, { aliases: { referralType: 'type' } });

/** Properties Partner Center sets itself; a create request must not carry them. */
export const SERVICE_SET_PROPERTIES = [
  'id',
  'organizationId',
  'organizationName',
  'createdDateTime',
  'updatedDateTime',
  'expirationDateTime',
  'acceptedDateTime',
  'eTag',
  'links',
] as const;

/** A referral as Partner Center returns it. */
export const ReferralSchema = ReferralCreateRequestSchema.extend({
  id: z.string(),
  engagementId: z.string().nullable().optional(),
  organizationId: z.string().nullable().optional(),
  organizationName: z.string().nullable().optional(),
  externalReferenceId: z.string().nullable().optional(),
  createdDateTime: z.string().optional(),
  updatedDateTime: z.string().optional(),
  expirationDateTime: z.string().nullable().optional(),
  acceptedDateTime: z.string().nullable().optional(),
  eTag: z.string().optional(),
  links: ReferralLinksSchema.optional(),
});

/** The list answer: OData collection of referrals. */
export const ReferralListSchema = z.object({
  '@odata.context': z.string().optional(),
  '@odata.count': z.number().optional(),
  value: z.array(ReferralSchema),
});

export type ReferralStatusValue = z.infer<typeof ReferralStatusSchema>;
export type ReferralSubstatusValue = z.infer<typeof ReferralSubstatusSchema>;
export type ReferralType = z.infer<typeof ReferralTypeSchema>;
export type ReferralQualification = z.infer<typeof ReferralQualificationSchema>;
export type SolutionType = z.infer<typeof SolutionTypeSchema>;
export type TargetType = z.infer<typeof TargetTypeSchema>;
export type Address = z.infer<typeof AddressSchema>;
export type Member = z.infer<typeof MemberSchema>;
export type CustomerProfile = z.infer<typeof CustomerProfileSchema>;
export type Consent = z.infer<typeof ConsentSchema>;
export type Tag = z.infer<typeof TagSchema>;
export type SolutionTag = z.infer<typeof SolutionTagSchema>;
export type ReferralRequirements = z.infer<typeof ReferralRequirementsSchema>;
export type ReferralDetails = z.infer<typeof ReferralDetailsSchema>;
export type InviteContext = z.infer<typeof InviteContextSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type ReferralCreateRequest = z.infer<typeof ReferralCreateRequestSchema>;
export type Referral = z.infer<typeof ReferralSchema>;
export type ReferralList = z.infer<typeof ReferralListSchema>;
