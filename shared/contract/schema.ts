/**
 * The referral contract: zod schemas for the Partner Center Referrals API's Referral resource, old
 * (the 2019 seed) and current (the FY26 pages), in the canonical camelCase the service speaks.
 *
 * Two readings of one resource:
 * - **requests** (`requestSchemas(policy)`): what a caller may send to create a referral. Closed
 *   only where Microsoft publishes a closed list (status, substatus, type, qualification, target
 *   type, solution type, profile type); values Microsoft only *uses* (how Microsoft can help, sales
 *   stage, customer size) are offered as known values and others accepted. Sizes are capped by
 *   the gateway's configurable policy, never presented as Partner Center's rules. Every object is
 *   open: a property the contract does not know is judged by `canonicalize.ts` (forwarded, or
 *   refused as a likely mistake).
 * - **answers** (`ReferralSchema`): what Partner Center returns, leniently: every documented
 *   shape parses (`ids: {}` of the 2019 list, nulls), service-set properties are typed, nothing is
 *   capped.
 *
 * Friendly spellings (PascalCase, aliases, enum case) are handled before these schemas by
 * `canonicalize.ts`, which reads the `aliases`, `normalize` and `knownValues` metadata here.
 */
import * as z from 'zod';
import { ISO_COUNTRY_CODES, ISO_CURRENCY_CODES } from './iso-codes';
import { DEFAULT_POLICY, type ReferralPolicy } from './policy';
import { REFERRAL_STATUSES, REFERRAL_SUBSTATUSES } from './status-rules';

// Without zod's code generation: it compiled each object schema on its first parse, which cost a
// cold instance's first request several milliseconds, and measured no faster afterwards
// (docs/performance.md).
z.config({ jitless: true });

/** Metadata read by the canonicalizer and the connector's generator. */
export interface ContractMeta {
  /** Extra accepted property names (compared case-insensitively) → canonical name. */
  aliases?: Record<string, string>;
  /** Value normalization applied before validation. */
  normalize?: 'upperCase';
  /** Values Microsoft uses but publishes no closed list for: offered, not enforced. */
  knownValues?: readonly string[];
}

export const contractMeta = z.registry<ContractMeta>();

// Closed lists Microsoft publishes (referral-resources).
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
export const ProfileTypeSchema = z.enum(['Duns', 'External']);

/** The deal types of Partner Center's co-sell pages: a gateway field, never sent upstream. */
export const DealTypeSchema = z.enum(['Private', 'PartnerLed', 'CoSell']);

// Values Microsoft uses without a published closed list (its connector, co-sell tooling).
export const ASSISTANCE_REQUEST_CODES = [
  'Unknown',
  'GeneralOrOther',
  'CustomerTechnicalArchitecture',
  'ProofOfConceptOrDemo',
  'QuotesOrLicensing',
  'PostSalesCustomerSuccess',
  'WorkloadSpecificValueProposition',
] as const;
export const SALES_STAGES = ['Qualify', 'Develop', 'Propose', 'Close'] as const;
export const CUSTOMER_SIZES = [
  '1to50employees',
  '51to500employees',
  'Morethan500employees',
  '1to9employees',
  '10to50employees',
  '51to250employees',
  '251to1000employees',
  '1001to5000employees',
  '5001to10000employees',
  '10001to20000employees',
  'Morethan20000employees',
] as const;
export const DIRECTIONS = ['Incoming', 'Outgoing'] as const;

/** An open value with the values Microsoft is known to use attached for callers' tools. */
function known<T extends z.ZodType>(schema: T, values: readonly string[]): T {
  contractMeta.add(schema, { knownValues: values });
  return schema;
}

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

/**
 * Any JSON value: for properties whose type Microsoft has not published. (The body is JSON
 * already; the canonicalizer still refuses prototype keys inside.)
 */
const anyJson = z.unknown();

/** Properties Partner Center sets itself; a create request must not carry them. */
export const SERVICE_SET_PROPERTIES = [
  'id',
  'organizationId',
  'organizationName',
  'createdDateTime',
  'updatedDateTime',
  'expirationDateTime',
  'acceptedDateTime',
  'closedDateTime',
  'direction',
  'eTag',
  'links',
] as const;

/** The request schemas under one policy (its caps named in their messages). */
function buildRequestSchemas(policy: ReferralPolicy) {
  const capped = (max: number, name: keyof ReferralPolicy) =>
    z
      .string()
      .trim()
      .max(max, { error: `must be at most ${max} characters (gateway policy ${name})` });
  const text = () => capped(policy.maxTextLength, 'maxTextLength');
  const requiredText = () => text().min(1, { error: 'must not be empty' });
  const notes = () => capped(policy.maxNotesLength, 'maxNotesLength');
  const list = <T extends z.ZodType>(item: T) =>
    z.array(item).max(policy.maxListItems, {
      error: `must have at most ${policy.maxListItems} entries (gateway policy maxListItems)`,
    });
  // The current example sends "email": "" for a member without one.
  const email = z.union([
    z.literal(''),
    z
      .string()
      .trim()
      .max(254, { error: 'must be at most 254 characters (the longest e-mail address)' })
      .pipe(z.email({ error: 'must be a valid e-mail address, or empty' })),
  ]);

  const Address = z.looseObject({
    addressLine1: text().optional(),
    addressLine2: text().optional(),
    city: text().optional(),
    state: text().optional(),
    postalCode: text().optional(),
    country: countryCode,
    region: text().optional(),
  });
  const Member = z.looseObject({
    firstName: requiredText(),
    lastName: requiredText(),
    email: email.optional(),
    // Free text upstream (e.g. "+1 425 555 0100 ext. 12").
    phoneNumber: text().optional(),
    title: text().optional(),
    contactPreference: z
      .looseObject({
        locale: text().optional(),
        disableNotifications: z.boolean().optional(),
      })
      .optional(),
  });
  const CustomerProfile = z.looseObject({
    name: requiredText(),
    address: Address,
    size: known(text(), CUSTOMER_SIZES).optional(),
    team: list(Member).optional(),
    ids: list(z.looseObject({ profileType: ProfileTypeSchema, id: requiredText() })).optional(),
  });
  const Consent = z.looseObject({
    consentToToShareInfoWithOthers: z.boolean(),
    consentToContact: z.boolean(),
    consentToMicrosoftToContactSpecificPartners: z.boolean().optional(),
    // false makes a private deal: not shared with Microsoft sellers.
    consentToShareReferralWithMicrosoftSellers: z.boolean().optional(),
  });
  contractMeta.add(Consent, {
    // The service's real name has a double "To"; people naturally write it once.
    aliases: { consentToShareInfoWithOthers: 'consentToToShareInfoWithOthers' },
  });
  const Tag = z.looseObject({ id: requiredText() });
  const Solution = z.looseObject({
    id: requiredText(),
    name: text().optional(),
    type: SolutionTypeSchema.optional(),
    publisherName: text().optional(),
    // "3P" in the current example; no list is published.
    solutionType: text().optional(),
  });
  const Requirements = z.looseObject({
    industries: list(Tag).optional(),
    products: list(Tag).optional(),
    services: list(Tag).optional(),
    solutions: list(Solution).optional(),
    additionalRequirements: z
      .looseObject({
        iot: z.looseObject({}).optional(),
        // e.g. { id: "HaveNotDecided", type: "CustomerMarketplaceIntent" }
        attributes: list(z.looseObject({ id: requiredText(), type: requiredText() })).optional(),
      })
      .optional(),
    offers: anyJson.optional(),
  });
  const Details = z.looseObject({
    notes: notes().optional(),
    dealValue: z
      .number({ error: 'must be a number' })
      .refine(Number.isFinite, { error: 'must be a finite number' })
      .min(0, { error: 'must be 0 or more' })
      .max(policy.maxDealValue, {
        error: `must be at most ${policy.maxDealValue} (gateway policy maxDealValue)`,
      })
      .optional(),
    currency: currencyCode.optional(),
    closingDateTime: utcDateTime.optional(),
    requirements: Requirements.optional(),
    customerRequestedContact: anyJson.optional(),
    customerAction: anyJson.optional(),
  });
  const InviteContext = z.looseObject({
    notes: notes().optional(),
    invitedBy: z
      .looseObject({ organizationId: requiredText(), organizationName: text().optional() })
      .optional(),
    // "How can Microsoft help": asking for help makes a co-sell deal.
    assistanceRequestCode: known(text(), ASSISTANCE_REQUEST_CODES).optional(),
  });
  const Target = z.looseObject({ type: TargetTypeSchema, id: requiredText() });

  const ReferralCreateRequest = z.looseObject({
    name: text().optional(),
    externalReferenceId: capped(
      policy.maxExternalReferenceIdLength,
      'maxExternalReferenceIdLength',
    ).optional(),
    // Sent only to join an existing engagement (the shared flow's second step).
    engagementId: requiredText().optional(),
    status: ReferralStatusSchema.optional(),
    substatus: ReferralSubstatusSchema.optional(),
    statusReason: notes().optional(),
    type: ReferralTypeSchema,
    qualification: ReferralQualificationSchema.optional(),
    customerProfile: CustomerProfile,
    consent: Consent,
    details: Details,
    team: list(Member).optional(),
    inviteContext: InviteContext.optional(),
    target: list(Target).optional(),
    // Services co-sell referrals (FY26 taxonomy; value lists not published).
    partnerRole: text().optional(),
    solutionArea: text().optional(),
    solutionPlay: text().optional(),
    salesStage: known(text(), SALES_STAGES).optional(),
    campaignId: text().optional(),
    tags: list(anyJson).optional(),
    referralSource: anyJson.optional(),
    callToAction: anyJson.optional(),
    dealType: DealTypeSchema.optional().describe(
      'The gateway sets and checks the consent flags and the help code for this deal type; not sent to Partner Center.',
    ),
  });
  contractMeta.add(ReferralCreateRequest, { aliases: { referralType: 'type' } });

  // A deal registration: the API pages publish no shape. Microsoft's own Power Automate connector
  // (Partner Center Referrals, learn.microsoft.com/connectors/partnercenterref) registers a deal
  // with these four; anything else Partner Center takes is forwarded by the open-object rule.
  const Registration = z.looseObject({
    // Partner Center's deal registration pages name Azure IP co-sell, Biz Apps and ISV Connect
    // registrations; no value list is published, so none is enforced.
    registrationType: requiredText(),
    contractTerm: text().optional(),
    pricingModel: text().optional(),
    primaryDeployment: text().optional(),
  });
  /** What an update may reach: the referral as created, and the registrations added later. */
  const ReferralUpdate = ReferralCreateRequest.extend({
    registrations: list(Registration).optional(),
  });
  contractMeta.add(ReferralUpdate, { aliases: { referralType: 'type' } });
  return { ReferralCreateRequest, Target, Registration, ReferralUpdate };
}

const requestSchemasByPolicy = new WeakMap<
  ReferralPolicy,
  ReturnType<typeof buildRequestSchemas>
>();

/** The request schemas for a policy (built once per policy object). */
export function requestSchemas(policy: ReferralPolicy = DEFAULT_POLICY) {
  let schemas = requestSchemasByPolicy.get(policy);
  if (!schemas) {
    schemas = buildRequestSchemas(policy);
    requestSchemasByPolicy.set(policy, schemas);
  }
  return schemas;
}

/** What a caller may send to create a referral, under the default policy. */
export const ReferralCreateRequestSchema = requestSchemas().ReferralCreateRequest;
export const TargetSchema = requestSchemas().Target;
export const RegistrationSchema = requestSchemas().Registration;

// Answers: lenient readings of the same resource.
/** A value Partner Center returns whose shape is not published. */
const opaque = z.unknown();
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const answerText = maybe(z.string());
const AnswerMember = z.looseObject({
  firstName: answerText,
  lastName: answerText,
  email: answerText,
  phoneNumber: answerText,
  title: answerText,
  contactPreference: maybe(
    z.looseObject({ locale: answerText, disableNotifications: maybe(z.boolean()) }),
  ),
});
const AnswerTag = z.looseObject({ id: answerText });

/** A referral as Partner Center returns it. */
export const ReferralSchema = z.looseObject({
  id: z.string(),
  engagementId: answerText,
  organizationId: answerText,
  organizationName: answerText,
  name: answerText,
  externalReferenceId: answerText,
  createdDateTime: answerText,
  updatedDateTime: answerText,
  expirationDateTime: answerText,
  acceptedDateTime: answerText,
  closedDateTime: answerText,
  status: maybe(ReferralStatusSchema),
  substatus: maybe(ReferralSubstatusSchema),
  statusReason: answerText,
  type: maybe(ReferralTypeSchema),
  qualification: maybe(ReferralQualificationSchema),
  direction: maybe(known(z.string(), DIRECTIONS)).describe(
    'Incoming: sent to you (e.g. by Microsoft); Outgoing: sent by you.',
  ),
  customerProfile: maybe(
    z.looseObject({
      name: answerText,
      address: maybe(
        z.looseObject({
          addressLine1: answerText,
          addressLine2: answerText,
          city: answerText,
          state: answerText,
          postalCode: answerText,
          country: answerText,
          region: answerText,
        }),
      ),
      size: answerText,
      team: maybe(z.array(AnswerMember)),
      // An array of { profileType, id }; the 2019 list example shows an empty object.
      ids: maybe(
        z.union([
          z.array(z.looseObject({ profileType: maybe(ProfileTypeSchema), id: answerText })),
          z.looseObject({}),
        ]),
      ),
    }),
  ),
  consent: maybe(
    z.looseObject({
      consentToToShareInfoWithOthers: maybe(z.boolean()),
      consentToContact: maybe(z.boolean()),
      consentToMicrosoftToContactSpecificPartners: maybe(z.boolean()),
      consentToShareReferralWithMicrosoftSellers: maybe(z.boolean()),
    }),
  ),
  details: maybe(
    z.looseObject({
      notes: answerText,
      dealValue: maybe(z.number()),
      currency: answerText,
      closingDateTime: answerText,
      requirements: maybe(
        z.looseObject({
          industries: maybe(z.array(AnswerTag)),
          products: maybe(z.array(AnswerTag)),
          services: maybe(z.array(AnswerTag)),
          solutions: maybe(
            z.array(
              z.looseObject({
                id: answerText,
                name: answerText,
                type: maybe(SolutionTypeSchema),
                publisherName: answerText,
                solutionType: answerText,
              }),
            ),
          ),
          additionalRequirements: maybe(opaque),
          offers: maybe(opaque),
        }),
      ),
      customerRequestedContact: maybe(opaque),
      customerAction: maybe(opaque),
    }),
  ),
  team: maybe(z.array(AnswerMember)),
  inviteContext: maybe(
    z.looseObject({
      notes: answerText,
      invitedBy: maybe(z.looseObject({ organizationId: answerText, organizationName: answerText })),
      assistanceRequestCode: answerText,
    }),
  ),
  target: maybe(z.array(z.looseObject({ type: maybe(TargetTypeSchema), id: answerText }))),
  partnerRole: answerText,
  solutionArea: answerText,
  solutionPlay: answerText,
  salesStage: answerText,
  campaignId: answerText,
  tags: maybe(z.array(opaque)),
  registrations: maybe(opaque).describe('Deal registrations, as Partner Center reports them.'),
  trackingInfo: maybe(z.looseObject({ microsoftMsxId: answerText })),
  referralSource: maybe(opaque),
  callToAction: maybe(opaque),
  eTag: answerText,
  links: maybe(
    z.looseObject({
      relatedReferrals: maybe(z.looseObject({ uri: z.string(), method: z.string() })),
      self: maybe(z.looseObject({ uri: z.string(), method: z.string() })),
    }),
  ).describe(
    "In the gateway's answers: its own link to the referral (self); Partner Center's links, which point at Partner Center, are not passed on.",
  ),
});

/** The list answer: an OData collection of referrals, paged by `@odata.nextLink`. */
export const ReferralListSchema = z.looseObject({
  '@odata.context': z.string().optional(),
  '@odata.count': z.number().optional(),
  '@odata.nextLink': z.string().optional(),
  value: z.array(ReferralSchema),
});

export type ReferralStatusValue = z.infer<typeof ReferralStatusSchema>;
export type ReferralSubstatusValue = z.infer<typeof ReferralSubstatusSchema>;
export type ReferralType = z.infer<typeof ReferralTypeSchema>;
export type DealType = z.infer<typeof DealTypeSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type ReferralCreateRequest = z.infer<typeof ReferralCreateRequestSchema>;
export type Registration = z.infer<typeof RegistrationSchema>;
export type Referral = z.infer<typeof ReferralSchema>;
export type ReferralList = z.infer<typeof ReferralListSchema>;
