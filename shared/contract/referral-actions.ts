/**
 * The common moves of a referral's life as one call each, for flows that should not have to know
 * JSON Patch: close as Won or Lost, accept or decline a referral sent to the partner, register a
 * deal. Each becomes a patch under the hood and goes through the same checks as any update.
 */
import * as z from 'zod';
import { canonicalize, isPlainObject } from './canonicalize';
import type { ErrorDetail } from './errors';
import { DEFAULT_POLICY, type ReferralPolicy } from './policy';
import type { ReferralPatchOperation } from './referral-patch';
import { contractMeta, requestSchemas, type Referral } from './schema';
import { detailFromIssue, validationError, type ValidationResult } from './validate';

/**
 * Reasons Microsoft's co-sell tools offer when a deal is declined or lost (no closed list is
 * published, so others are accepted).
 */
export const CLOSE_REASONS = [
  'Budget',
  'NoResponse',
  'OtherVendor',
  'RequirementsNotMet',
  'NotACustomer',
  'TimelineTooShort',
  'AbuseSpamOrPhishing',
  'Other',
] as const;

export const REFERRAL_ACTIONS = ['close', 'accept', 'decline', 'registerDeal'] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

function buildActionSchemas(policy: ReferralPolicy) {
  const reason = z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(policy.maxNotesLength, {
      error: `must be at most ${policy.maxNotesLength} characters (gateway policy maxNotesLength)`,
    });
  contractMeta.add(reason, { knownValues: CLOSE_REASONS });
  const Close = z
    .strictObject({
      outcome: z.enum(['Won', 'Lost']).describe('Won or Lost.'),
      reason: reason.optional().describe('Why; required when the deal was lost.'),
    })
    .superRefine((body, ctx) => {
      if (body.outcome === 'Lost' && body.reason === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['reason'],
          message: 'is required when the outcome is Lost',
          params: { code: 'required' },
        });
      }
    })
    .describe('Close the referral as won or lost.');
  const Accept = z.strictObject({}).describe('Accept a referral sent to you.');
  const Decline = z
    .strictObject({ reason: reason.describe('Why the referral is declined.') })
    .describe('Decline a referral sent to you.');
  return { Close, Accept, Decline, RegisterDeal: requestSchemas(policy).Registration };
}

const actionSchemasByPolicy = new WeakMap<ReferralPolicy, ReturnType<typeof buildActionSchemas>>();

export function actionSchemas(policy: ReferralPolicy = DEFAULT_POLICY) {
  let schemas = actionSchemasByPolicy.get(policy);
  if (!schemas) {
    schemas = buildActionSchemas(policy);
    actionSchemasByPolicy.set(policy, schemas);
  }
  return schemas;
}

export type CloseReferral = z.infer<ReturnType<typeof buildActionSchemas>['Close']>;
export type DeclineReferral = z.infer<ReturnType<typeof buildActionSchemas>['Decline']>;

const SCHEMA_OF: Record<ReferralAction, keyof ReturnType<typeof buildActionSchemas>> = {
  close: 'Close',
  accept: 'Accept',
  decline: 'Decline',
  registerDeal: 'RegisterDeal',
};

/** What an action does to a referral, as the patch Partner Center takes. */
export function actionPatch(action: ReferralAction, body: unknown): ReferralPatchOperation[] {
  const replace = (path: string, value: unknown): ReferralPatchOperation => ({
    op: 'replace',
    path,
    value,
  });
  switch (action) {
    case 'close': {
      const { outcome, reason } = body as CloseReferral;
      return [
        replace('/status', 'Closed'),
        replace('/substatus', outcome),
        ...(reason !== undefined ? [replace('/statusReason', reason)] : []),
      ];
    }
    case 'accept':
      return [replace('/status', 'Active'), replace('/substatus', 'Accepted')];
    case 'decline':
      return [
        replace('/status', 'Closed'),
        replace('/substatus', 'Declined'),
        replace('/statusReason', (body as DeclineReferral).reason),
      ];
    case 'registerDeal':
      return [{ op: 'add', path: '/registrations/-', value: body }];
  }
}

/**
 * An action's body checked (an empty body is an empty object), as the patch it makes and the
 * paths of properties forwarded as sent (a registration is open to fields Microsoft adds).
 */
export function validateAction(
  action: ReferralAction,
  input: unknown,
  policy: ReferralPolicy = DEFAULT_POLICY,
): ValidationResult<ReferralPatchOperation[]> {
  const body = input === undefined ? {} : input;
  const target = action === 'registerDeal' ? 'registration' : action;
  if (!isPlainObject(body)) {
    return {
      ok: false,
      error: validationError(
        [{ path: '$', code: 'invalidType', message: 'must be a JSON object' }],
        target,
      ),
    };
  }
  const schema = actionSchemas(policy)[SCHEMA_OF[action]];
  const canonical = canonicalize(schema, body);
  const details: ErrorDetail[] = [...canonical.issues];
  const parsed = schema.safeParse(canonical.value, { reportInput: true });
  if (!parsed.success) details.push(...parsed.error.issues.map(detailFromIssue));
  if (!parsed.success || details.length > 0) {
    return { ok: false, error: validationError(details, target) };
  }
  return { ok: true, value: actionPatch(action, parsed.data), forwarded: canonical.forwarded };
}

/** Whether the action fits the referral as it is: accept and decline are for referrals sent to you. */
export function actionPrecondition(
  action: ReferralAction,
  referral: Referral,
): ErrorDetail | undefined {
  if ((action === 'accept' || action === 'decline') && referral.direction !== 'Incoming') {
    return {
      path: '$.direction',
      code: 'notIncoming',
      message: `only a referral sent to you (direction Incoming) can be ${action === 'accept' ? 'accepted' : 'declined'}; this one is ${referral.direction ?? 'not marked'}: close it instead`,
    };
  }
  // An answer to a referral: given while it waits (New), or given again (a harmless repeat).
  const answered =
    action === 'accept'
      ? referral.status === 'Active' && referral.substatus === 'Accepted'
      : referral.status === 'Closed' && referral.substatus === 'Declined';
  if ((action === 'accept' || action === 'decline') && referral.status !== 'New' && !answered) {
    return {
      path: '$.status',
      code: 'alreadyAnswered',
      message: `only a referral waiting for an answer (status New) can be ${action === 'accept' ? 'accepted' : 'declined'}; this one is ${referral.status ?? 'without status'}/${referral.substatus ?? 'without substatus'}${referral.status === 'Active' ? ': close it as Lost instead' : ''}`,
    };
  }
  return undefined;
}
