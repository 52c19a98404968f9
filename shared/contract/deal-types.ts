/**
 * Deal types as Partner Center's co-sell pages name them, expressed through the raw fields:
 * - **Private**: not shared with Microsoft sellers (`consentToShareReferralWithMicrosoftSellers`
 *   false), no help asked of Microsoft (no `inviteContext.assistanceRequestCode`).
 * - **PartnerLed**: shared with Microsoft sellers, no help asked.
 * - **CoSell**: shared with Microsoft sellers, help asked (`assistanceRequestCode` set).
 * A caller may say `dealType` instead of setting the flag: the gateway sets what is missing and
 * refuses raw fields that disagree. `dealType` itself is never sent to Partner Center.
 *
 * And the gateway's co-sell preconditions (policy `coSellRequires`): Microsoft's co-sell tools
 * require them before a referral is shared with Microsoft; the API does not document them.
 */
import type { ErrorDetail } from './errors';
import type { ReferralPolicy } from './policy';
import type { DealType, ReferralCreateRequest } from './schema';

interface DealShape {
  sharedWithSellers: boolean;
  helpAsked: boolean;
}

const DEAL_TYPES: Record<DealType, DealShape> = {
  Private: { sharedWithSellers: false, helpAsked: false },
  PartnerLed: { sharedWithSellers: true, helpAsked: false },
  CoSell: { sharedWithSellers: true, helpAsked: true },
};

const SELLERS_PATH = '$.consent.consentToShareReferralWithMicrosoftSellers';
const HELP_PATH = '$.inviteContext.assistanceRequestCode';

/** The request with `dealType` applied and removed; problems where the raw fields disagree. */
export function applyDealType(request: ReferralCreateRequest): {
  value: ReferralCreateRequest;
  issues: ErrorDetail[];
} {
  const { dealType, ...rest } = request;
  if (!dealType) return { value: rest as ReferralCreateRequest, issues: [] };
  const wanted = DEAL_TYPES[dealType];
  const issues: ErrorDetail[] = [];
  const sellers = rest.consent.consentToShareReferralWithMicrosoftSellers;
  if (sellers !== undefined && sellers !== wanted.sharedWithSellers) {
    issues.push({
      path: SELLERS_PATH,
      code: 'dealTypeMismatch',
      message: `must be ${wanted.sharedWithSellers} (or left out) for dealType ${dealType}`,
    });
  }
  const help = rest.inviteContext?.assistanceRequestCode;
  if (wanted.helpAsked && !help) {
    issues.push({
      path: HELP_PATH,
      code: 'required',
      message: `is required for dealType CoSell: say how Microsoft should help (e.g. ProofOfConceptOrDemo)`,
    });
  } else if (!wanted.helpAsked && help) {
    issues.push({
      path: HELP_PATH,
      code: 'dealTypeMismatch',
      message: `must be left out for dealType ${dealType}: asking Microsoft for help makes it CoSell`,
    });
  }
  if (dealType === 'Private' && rest.type === 'Shared') {
    issues.push({
      path: '$.type',
      code: 'dealTypeMismatch',
      message:
        'must be Independent for dealType Private: a shared referral is shared with Microsoft',
    });
  }
  const value: ReferralCreateRequest = {
    ...rest,
    consent: {
      ...rest.consent,
      consentToShareReferralWithMicrosoftSellers: wanted.sharedWithSellers,
    },
  };
  return { value, issues };
}

/** Whether the referral will be shared with Microsoft: the shared flow, or its sellers. */
export function sharedWithMicrosoft(request: ReferralCreateRequest): boolean {
  return (
    request.type === 'Shared' || request.consent.consentToShareReferralWithMicrosoftSellers === true
  );
}

/** The co-sell preconditions the policy requires and the referral misses. */
export function coSellIssues(
  request: ReferralCreateRequest,
  policy: ReferralPolicy,
): ErrorDetail[] {
  if (!sharedWithMicrosoft(request)) return [];
  const policyNote = (check: string) =>
    `when the referral is shared with Microsoft (gateway policy coSellRequires: ${check}, as Microsoft's co-sell tools require)`;
  const issues: ErrorDetail[] = [];
  for (const check of policy.coSellRequires) {
    if (check === 'customerContact' && (request.customerProfile.team ?? []).length === 0) {
      issues.push({
        path: '$.customerProfile.team',
        code: 'coSellPrecondition',
        message: `must name at least one customer contact ${policyNote(check)}`,
      });
    }
    if (check === 'solution' && (request.details.requirements?.solutions ?? []).length === 0) {
      issues.push({
        path: '$.details.requirements.solutions',
        code: 'coSellPrecondition',
        message: `must name at least one solution ${policyNote(check)}`,
      });
    }
    if (check === 'dealValue' && !((request.details.dealValue ?? 0) > 0)) {
      issues.push({
        path: '$.details.dealValue',
        code: 'coSellPrecondition',
        message: `must be above 0 ${policyNote(check)}`,
      });
    }
    if (
      check === 'sharingConsent' &&
      request.consent.consentToShareReferralWithMicrosoftSellers === false
    ) {
      issues.push({
        path: SELLERS_PATH,
        code: 'coSellPrecondition',
        message: `must not be false ${policyNote(check)}`,
      });
    }
  }
  return issues;
}
