/**
 * Validates a referral create request: friendly spellings are made canonical, then every
 * problem is collected (not just the first) and reported with its JSON path.
 */
import * as z from 'zod';
import { errorEnvelope, type ErrorDetail, type ErrorEnvelope } from './errors';
import { canonicalize, isPlainObject } from './canonicalize';
import { formatJsonPath } from './json-path';
import { applyDealType, coSellIssues } from './deal-types';
import { DEFAULT_POLICY, type ReferralPolicy } from './policy';
import { requestSchemas, SERVICE_SET_PROPERTIES, type ReferralCreateRequest } from './schema';
import { checkCreateStatus } from './status-rules';

export type ValidationResult<T> =
  | {
      ok: true;
      value: T;
      /** JSON paths of properties the contract does not know, forwarded as sent. */
      forwarded: string[];
    }
  | { ok: false; error: ErrorEnvelope };

const JSON_TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return JSON_TYPE_NAMES[typeof value] ?? typeof value;
}

/** Turns one zod issue into a detail in our words. Never echoes the input value: it may be PII. */
export function detailFromIssue(issue: z.core.$ZodIssue): ErrorDetail {
  const path = formatJsonPath(issue.path);
  const at = (code: string, message: string): ErrorDetail => ({ path, code, message });
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return at('required', 'is required');
      if (typeof issue.input === 'number') return at('invalidValue', 'must be a finite number');
      return at(
        'invalidType',
        `must be ${JSON_TYPE_NAMES[issue.expected] ?? issue.expected}, not ${jsonTypeOf(issue.input)}`,
      );
    case 'invalid_value':
      if (issue.input === undefined) return at('required', 'is required');
      return at('invalidValue', `must be one of: ${issue.values.map((v) => String(v)).join(', ')}`);
    case 'too_big':
      return at(
        issue.origin === 'array' ? 'tooMany' : issue.origin === 'string' ? 'tooLong' : 'outOfRange',
        issue.message,
      );
    case 'too_small':
      return at(issue.origin === 'string' ? 'empty' : 'outOfRange', issue.message);
    case 'invalid_format':
      return at(issue.format === 'email' ? 'invalidEmail' : 'invalidFormat', issue.message);
    case 'invalid_union':
      return at('invalidType', 'has the wrong shape for this property');
    case 'unrecognized_keys':
      return at(
        'unknownProperty',
        `has properties this action does not take: ${issue.keys.join(', ')}`,
      );
    case 'custom': {
      const code = (issue.params as { code?: unknown } | undefined)?.code;
      return at(typeof code === 'string' ? code : 'invalidValue', issue.message);
    }
    default:
      return at('invalidValue', issue.message);
  }
}

/** Builds the 400 envelope for a list of problems. */
export function validationError(details: ErrorDetail[], target = 'referral'): ErrorEnvelope {
  const count = details.length;
  const first = details[0];
  const message =
    count === 1 && first
      ? `The ${target} is invalid: ${first.path} ${first.message}.`
      : `The ${target} has ${count} problems; each is listed in details with its path.`;
  return errorEnvelope('invalidRequest', message, target, details);
}

export function validateReferralCreateRequest(
  input: unknown,
  policy: ReferralPolicy = DEFAULT_POLICY,
): ValidationResult<ReferralCreateRequest> {
  if (!isPlainObject(input)) {
    return {
      ok: false,
      error: validationError([
        {
          path: '$',
          code: 'invalidType',
          message: `must be a JSON object, not ${jsonTypeOf(input)}`,
        },
      ]),
    };
  }
  const schema = requestSchemas(policy).ReferralCreateRequest;
  const { value, issues, forwarded } = canonicalize(schema, input, {
    readOnly: new Map([[schema, SERVICE_SET_PROPERTIES]]),
  });
  const details = [...issues];
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) details.push(...parsed.error.issues.map(detailFromIssue));

  const canonical = isPlainObject(value) ? value : {};
  const statusField = schema.shape.status.safeParse(canonical.status);
  const substatusField = schema.shape.substatus.safeParse(canonical.substatus);
  if (statusField.success && substatusField.success) {
    const rule = checkCreateStatus(statusField.data, substatusField.data);
    if (!rule.ok) {
      details.push({
        path: formatJsonPath([rule.code === 'invalidStatusPair' ? 'substatus' : 'status']),
        code: rule.code,
        message: rule.message,
      });
    }
  }
  if (!parsed.success || details.length > 0) return { ok: false, error: validationError(details) };

  const { dealValue, currency } = parsed.data.details;
  if (dealValue !== undefined && currency === undefined) {
    details.push({
      path: '$.details.currency',
      code: 'required',
      message: 'is required when details.dealValue is set',
    });
  }
  const deal = applyDealType(parsed.data);
  // Once the deal type and the fields disagree, the co-sell checks would only repeat it.
  details.push(...(deal.issues.length > 0 ? deal.issues : coSellIssues(deal.value, policy)));
  if (details.length > 0) return { ok: false, error: validationError(details) };
  return { ok: true, value: deal.value, forwarded };
}
