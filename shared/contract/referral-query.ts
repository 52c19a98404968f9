/**
 * The list vocabulary: a few named query parameters a flow can fill in, never raw OData. Each is
 * validated here; the Partner Center adapter turns the documented ones into `$filter` clauses
 * with every value quoted, and the gateway applies the rest itself on each page. A page's
 * continuation is opaque to callers: it carries only Partner Center's skip token (never a URL to
 * fetch) and is bound to the query it belongs to.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ErrorDetail, ErrorEnvelope } from './errors';
import { isGuid } from './guid';
import { ISO_COUNTRY_CODES } from './iso-codes';
import {
  DIRECTIONS,
  ReferralQualificationSchema,
  ReferralStatusSchema,
  ReferralSubstatusSchema,
  ReferralTypeSchema,
  utcDateTime,
} from './schema';
import { validationError } from './validate';

export const LIST_ORDERS = [
  'createdDateTime desc',
  'createdDateTime asc',
  'updatedDateTime desc',
  'updatedDateTime asc',
] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

export const MAX_LIST_TOP = 1000;

/** A list request in the gateway's words. */
export interface ReferralQuery {
  // Sent to Partner Center as `$filter` clauses (the documented filters; the adapter quotes them).
  engagementId?: string;
  status?: string;
  substatus?: string;
  qualification?: string;
  direction?: string;
  type?: string;
  /** `customerProfile/address/country`. */
  country?: string;
  /** `updatedDateTime ge ...` (the 2019 page's updatedDateTime filter). */
  updatedSince?: string;
  /** `team/any(t:t/email eq ...)` (the 2019 page's team email filter, 2020's example). */
  teamEmail?: string;
  // Applied by the gateway on each page (Partner Center documents no such filter).
  externalReferenceId?: string;
  orderBy?: ListOrder;
  /** At most this many referrals in all (`$top`). */
  top?: number;
}

/** Which parameter goes where: the docs in docs/api.md say the same. */
export const UPSTREAM_PARAMETERS = [
  'engagementId',
  'status',
  'substatus',
  'qualification',
  'direction',
  'type',
  'country',
  'updatedSince',
  'teamEmail',
] as const;
export const GATEWAY_PARAMETERS = ['externalReferenceId'] as const;
const PAGING_PARAMETERS = ['orderBy', 'top', 'continuation'] as const;
export const LIST_PARAMETERS = [
  ...UPSTREAM_PARAMETERS,
  ...GATEWAY_PARAMETERS,
  ...PAGING_PARAMETERS,
] as const;

/** Where the next page starts: Partner Center's skip token, tied to the query. */
export interface ListPosition {
  skipToken: string;
}

/** Closed lists answer in their documented spelling, whatever the case sent. */
function oneOf(values: readonly string[]) {
  return (raw: string): string | undefined =>
    values.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
}

const email = z.email();

type Check = (raw: string) => { value?: string | number; problem?: string };

const closed =
  (values: readonly string[]): Check =>
  (raw) => {
    const value = oneOf(values)(raw);
    return value ? { value } : { problem: `must be one of: ${values.join(', ')}` };
  };

const CHECKS: Record<Exclude<(typeof LIST_PARAMETERS)[number], 'continuation'>, Check> = {
  engagementId: (raw) =>
    isGuid(raw.trim()) ? { value: raw.trim().toLowerCase() } : { problem: 'must be a GUID' },
  status: closed(ReferralStatusSchema.options),
  substatus: closed(ReferralSubstatusSchema.options),
  qualification: closed(ReferralQualificationSchema.options),
  direction: closed(DIRECTIONS),
  type: closed(ReferralTypeSchema.options),
  country: (raw) =>
    ISO_COUNTRY_CODES.has(raw.trim().toUpperCase())
      ? { value: raw.trim().toUpperCase() }
      : { problem: 'must be an ISO 3166-1 alpha-2 country code, e.g. US' },
  updatedSince: (raw) =>
    utcDateTime.safeParse(raw.trim()).success
      ? { value: raw.trim() }
      : { problem: 'must be an ISO 8601 date-time in UTC, e.g. 2026-11-01T00:00:00Z' },
  teamEmail: (raw) =>
    email.safeParse(raw.trim()).success && raw.trim().length <= 254
      ? { value: raw.trim() }
      : { problem: 'must be an e-mail address' },
  externalReferenceId: (raw) =>
    raw.trim() !== '' && raw.length <= 256
      ? { value: raw.trim() }
      : { problem: 'must be 1 to 256 characters' },
  orderBy: closed(LIST_ORDERS),
  top: (raw) =>
    /^\d{1,4}$/.test(raw.trim()) && Number(raw) >= 1 && Number(raw) <= MAX_LIST_TOP
      ? { value: Number(raw) }
      : { problem: `must be a whole number from 1 to ${MAX_LIST_TOP}` },
};

export type QueryParse =
  { ok: true; query: ReferralQuery; position?: ListPosition } | { ok: false; error: ErrorEnvelope };

/** Query parameters (name → values as sent) checked into a query and where to continue. */
export function parseReferralQuery(parameters: Iterable<[string, string]>): QueryParse {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  const query: Record<string, string | number> = {};
  let continuation: string | undefined;
  for (const [name, raw] of parameters) {
    const at = `$.${name.replace(/[^A-Za-z0-9$]/g, '_')}`;
    if (seen.has(name)) {
      details.push({ path: at, code: 'duplicateParameter', message: 'is given more than once' });
      continue;
    }
    seen.add(name);
    if (name === 'continuation') {
      continuation = raw;
      continue;
    }
    const check = CHECKS[name as keyof typeof CHECKS] as Check | undefined;
    if (!check) {
      details.push({
        path: at,
        code: 'unknownParameter',
        message: `is not a list parameter; the gateway takes ${LIST_PARAMETERS.join(', ')} (raw OData such as $filter is never passed on)`,
      });
      continue;
    }
    const { value, problem } = check(raw);
    if (problem !== undefined || value === undefined) {
      details.push({ path: at, code: 'invalidValue', message: problem ?? 'is not valid' });
    } else query[name] = value;
  }
  const parsed = query as ReferralQuery;
  let position: ListPosition | undefined;
  if (continuation !== undefined) {
    position = readContinuation(continuation, parsed);
    if (!position) {
      details.push({
        path: '$.continuation',
        code: 'invalidContinuation',
        message:
          'is not a continuation of this list: follow nextLink as given, with the same parameters',
      });
    }
  }
  if (details.length > 0) return { ok: false, error: validationError(details, 'query') };
  return { ok: true, query: parsed, ...(position ? { position } : {}) };
}

/** The query's fingerprint: a continuation is valid only for the query it came from. */
function fingerprint(query: ReferralQuery): string {
  const canonical = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

// Skip tokens are opaque to us; they are kept to URL-safe characters and a sane length.
const SKIP_TOKEN = /^[A-Za-z0-9+/=_\-.~%!*'()]{1,2048}$/;

export function continuationFor(query: ReferralQuery, position: ListPosition): string {
  return Buffer.from(
    JSON.stringify({ q: fingerprint(query), t: position.skipToken }),
    'utf8',
  ).toString('base64url');
}

function readContinuation(text: string, query: ReferralQuery): ListPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(text)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const { q, t } = (decoded ?? {}) as { q?: unknown; t?: unknown };
  if (q !== fingerprint(query) || typeof t !== 'string' || !SKIP_TOKEN.test(t)) return undefined;
  return { skipToken: t };
}
