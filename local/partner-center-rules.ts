/**
 * The sandbox's own reading of the Referrals API documentation (never the gateway's contract, so a
 * contract mistake of the gateway shows up here as Partner Center would show it): what a create
 * must carry, the closed lists Microsoft publishes, the properties the service sets itself, the
 * status table, and the documented list filters. Property names are matched case-insensitively
 * and answered in camelCase, as the current examples (which mix PascalCase in) need; properties
 * the docs do not name are kept as sent, as a service that grew a new field would.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface RuleViolation {
  target: string;
  message: string;
}

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** referral-resources: the published closed lists. */
export const ENUMS: Record<string, readonly string[]> = {
  status: ['None', 'New', 'Active', 'Closed'],
  substatus: ['None', 'Pending', 'Received', 'Accepted', 'Won', 'Lost', 'Declined', 'Expired'],
  type: ['Independent', 'Shared'],
  qualification: ['None', 'Direct', 'MarketingQualified', 'SalesQualified'],
  solutionType: ['None', 'Category', 'Name'],
  targetType: ['None', 'BusinessProfileLocation', 'SolutionProfile'],
  profileType: ['Duns', 'External'],
};

/** The status table of "Create a referral": substatuses per status, and later moves. */
export const STATUS_TABLE: Record<string, { substatuses: string[]; moves: string[] }> = {
  New: { substatuses: ['Pending', 'Received'], moves: ['New', 'Active', 'Closed'] },
  Active: { substatuses: ['Accepted'], moves: ['Active', 'Closed'] },
  Closed: { substatuses: ['Won', 'Lost', 'Declined', 'Expired'], moves: ['Closed'] },
};

/** Set by the service; refused on create. */
export const SERVICE_SET = [
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
];

/**
 * The documented `$filter` equality properties: the 2020 page's table and sample requests
 * (`type`, `direction` included) and the 2019 page's filter table. `updatedDateTime` (2019) is
 * compared as a date-time, and team `email` (2019) is written `team/any(t:t/email eq '...')` as in
 * the 2020 sample request.
 */
export const FILTERABLE: Record<string, string[]> = {
  engagementId: ['engagementId'],
  status: ['status'],
  substatus: ['substatus'],
  qualification: ['qualification'],
  type: ['type'],
  direction: ['direction'],
  'customerProfile/address/country': ['customerProfile', 'address', 'country'],
};

/** The documented `$orderby` properties (2020 page). */
export const ORDERABLE = ['createdDateTime', 'updatedDateTime'] as const;

/** How long an incoming referral waits for an answer before it is archived as Expired. */
export const ANSWER_WITHIN_MS = 14 * 24 * 60 * 60 * 1000;

/** Documented property names per object, for case-insensitive matching. */
const NAMES: Record<string, readonly string[]> = {
  referral: [
    'id',
    'engagementId',
    'organizationId',
    'organizationName',
    'name',
    'externalReferenceId',
    'createdDateTime',
    'updatedDateTime',
    'expirationDateTime',
    'acceptedDateTime',
    'closedDateTime',
    'status',
    'substatus',
    'statusReason',
    'type',
    'qualification',
    'direction',
    'customerProfile',
    'consent',
    'details',
    'team',
    'inviteContext',
    'target',
    'partnerRole',
    'solutionArea',
    'solutionPlay',
    'salesStage',
    'campaignId',
    'tags',
    'eTag',
    'links',
  ],
  customerProfile: ['name', 'address', 'size', 'team', 'ids'],
  address: ['addressLine1', 'addressLine2', 'city', 'state', 'postalCode', 'country', 'region'],
  member: ['firstName', 'lastName', 'phoneNumber', 'email', 'title', 'contactPreference'],
  consent: [
    'consentToToShareInfoWithOthers',
    'consentToContact',
    'consentToMicrosoftToContactSpecificPartners',
    'consentToShareReferralWithMicrosoftSellers',
  ],
  details: [
    'notes',
    'dealValue',
    'currency',
    'closingDateTime',
    'requirements',
    'customerRequestedContact',
    'customerAction',
  ],
  requirements: [
    'industries',
    'products',
    'services',
    'solutions',
    'additionalRequirements',
    'offers',
  ],
  solution: ['id', 'name', 'type', 'publisherName', 'solutionType'],
  inviteContext: ['notes', 'invitedBy', 'assistanceRequestCode'],
  target: ['type', 'id'],
};

/** Which kind of object sits under a documented property. */
const CHILD: Record<string, Record<string, string>> = {
  referral: {
    customerProfile: 'customerProfile',
    consent: 'consent',
    details: 'details',
    team: 'member',
    inviteContext: 'inviteContext',
    target: 'target',
  },
  customerProfile: { address: 'address', team: 'member' },
  details: { requirements: 'requirements' },
  requirements: { solutions: 'solution' },
};

/** Documented names in their documented camelCase; other names kept as sent. */
export function camelCased(value: Json, kind = 'referral'): Json {
  if (Array.isArray(value)) return value.map((item) => camelCased(item, kind));
  if (!isObject(value)) return value;
  const names = NAMES[kind] ?? [];
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase()) ?? key;
    const child = CHILD[kind]?.[name];
    out[name] = child ? camelCased(item, child) : item;
  }
  return out;
}

const at = (target: string, message: string): RuleViolation => ({ target, message });

function enumValue(
  value: Json | undefined,
  list: string,
  target: string,
  problems: RuleViolation[],
): Json | undefined {
  if (value === undefined || value === null) return value;
  const allowed = ENUMS[list] ?? [];
  const match =
    typeof value === 'string' ? allowed.find((v) => v.toLowerCase() === value.toLowerCase()) : '';
  if (!match) {
    problems.push(at(target, `The value is not one of: ${allowed.join(', ')}.`));
    return value;
  }
  return match;
}

/**
 * A create request checked as the documentation describes it: the request as the service would
 * store it (camelCase, enum values in their documented case), or what is wrong.
 */
export function checkCreate(
  body: unknown,
): { ok: true; referral: JsonObject } | { ok: false; problems: RuleViolation[] } {
  if (!isObject(body))
    return { ok: false, problems: [at('referral', 'The body must be an object.')] };
  const referral = camelCased(body) as JsonObject;
  const problems: RuleViolation[] = [];
  for (const name of SERVICE_SET) {
    if (referral[name] !== undefined) {
      problems.push(at(name, `'${name}' is set by the service and cannot be sent.`));
    }
  }
  for (const name of ['type', 'customerProfile', 'consent', 'details']) {
    if (referral[name] === undefined || referral[name] === null) {
      problems.push(at(name, `'${name}' is required.`));
    }
  }
  referral.type = enumValue(referral.type, 'type', 'type', problems) ?? null;
  if (referral.status !== undefined) {
    referral.status = enumValue(referral.status, 'status', 'status', problems) ?? null;
  }
  if (referral.substatus !== undefined) {
    referral.substatus = enumValue(referral.substatus, 'substatus', 'substatus', problems) ?? null;
  }
  if (referral.qualification !== undefined) {
    referral.qualification =
      enumValue(referral.qualification, 'qualification', 'qualification', problems) ?? null;
  }
  checkStatusPair(referral, problems);
  const consent = referral.consent;
  if (isObject(consent)) {
    // The documented flags are booleans; a member the docs do not name is kept as sent.
    for (const [name, flag] of Object.entries(consent)) {
      if (!(NAMES.consent ?? []).includes(name)) continue;
      if (flag !== null && typeof flag !== 'boolean') {
        problems.push(at(`consent.${name}`, 'A consent flag must be true or false.'));
      }
    }
  } else if (consent !== undefined) {
    problems.push(at('consent', 'The consent must be an object.'));
  }
  const details = referral.details;
  if (isObject(details)) {
    if (details.dealValue !== undefined && details.dealValue !== null) {
      if (typeof details.dealValue !== 'number' || details.dealValue < 0) {
        problems.push(at('details.dealValue', 'The deal value must be a number, 0 or more.'));
      }
    }
    if (details.closingDateTime !== undefined && details.closingDateTime !== null) {
      if (
        typeof details.closingDateTime !== 'string' ||
        Number.isNaN(Date.parse(details.closingDateTime))
      ) {
        problems.push(at('details.closingDateTime', 'The closing date must be a date-time.'));
      }
    }
    const solutions = isObject(details.requirements) ? details.requirements.solutions : undefined;
    if (Array.isArray(solutions)) {
      solutions.forEach((solution, i) => {
        if (isObject(solution) && solution.type !== undefined) {
          solution.type =
            enumValue(
              solution.type,
              'solutionType',
              `details.requirements.solutions[${i}].type`,
              problems,
            ) ?? null;
        }
      });
    }
  } else if (details !== undefined) {
    problems.push(at('details', 'The details must be an object.'));
  }
  const targets = referral.target;
  if (Array.isArray(targets)) {
    targets.forEach((target, i) => {
      if (isObject(target)) {
        target.type = enumValue(target.type, 'targetType', `target[${i}].type`, problems) ?? null;
      }
    });
  }
  const profile = referral.customerProfile;
  if (isObject(profile) && Array.isArray(profile.ids)) {
    profile.ids.forEach((entry, i) => {
      if (isObject(entry)) {
        entry.profileType =
          enumValue(
            entry.profileType,
            'profileType',
            `customerProfile.ids[${i}].profileType`,
            problems,
          ) ?? null;
      }
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, referral };
}

function checkStatusPair(referral: JsonObject, problems: RuleViolation[]): void {
  const status = referral.status;
  const substatus = referral.substatus;
  if (typeof substatus === 'string' && typeof status !== 'string') {
    problems.push(at('substatus', 'A substatus needs its status.'));
    return;
  }
  if (typeof status !== 'string' || typeof substatus !== 'string') return;
  const row = STATUS_TABLE[status];
  if (!row || !row.substatuses.includes(substatus)) {
    problems.push(
      at('substatus', `Substatus '${substatus}' is not allowed with status '${status}'.`),
    );
  }
}

/** A later change of status, by the status table. */
export function checkMove(
  from: string,
  to: string,
  substatus: Json | undefined,
): RuleViolation | undefined {
  const row = STATUS_TABLE[from];
  if (row && !row.moves.includes(to)) {
    return at('status', `A referral cannot move from '${from}' to '${to}'.`);
  }
  const target = STATUS_TABLE[to];
  if (target && typeof substatus === 'string' && !target.substatuses.includes(substatus)) {
    return at('substatus', `Substatus '${substatus}' is not allowed with status '${to}'.`);
  }
  return undefined;
}

/** The value at a dotted path (`details.customerIntent`, `team[0].title`), if present. */
export function valueAt(value: Json, path: string): Json | undefined {
  let node: Json | undefined = value;
  for (const segment of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/** Splits at top-level `and` (outside quotes and parentheses); one pair of outer parentheses goes. */
function clausesOf(filter: string): string[] {
  let text = filter.trim();
  const wrapped = (t: string) => {
    if (!t.startsWith('(') || !t.endsWith(')')) return false;
    let depth = 0;
    let quoted = false;
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      if (c === "'") quoted = !quoted;
      else if (!quoted && c === '(') depth++;
      else if (!quoted && c === ')' && --depth === 0 && i < t.length - 1) return false;
    }
    return true;
  };
  while (wrapped(text)) text = text.slice(1, -1).trim();
  const clauses: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && /^\s+and\s+/i.test(text.slice(i))) {
      clauses.push(text.slice(start, i).trim());
      const gap = /^\s+and\s+/i.exec(text.slice(i))?.[0].length ?? 0;
      start = i + gap;
      i = start - 1;
    }
  }
  clauses.push(text.slice(start).trim());
  return clauses.map((c) => (wrapped(c) ? c.slice(1, -1).trim() : c));
}

const unquote = (text: string) => text.replace(/''/g, "'");

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ge: (a, b) => a >= b,
  gt: (a, b) => a > b,
  le: (a, b) => a <= b,
  lt: (a, b) => a < b,
};

/**
 * A `$filter` of the documented forms joined by `and`: the equality filters, `updatedDateTime`
 * compared with a date-time, and a team member's e-mail. Anything else is refused, as a service
 * that documents only these would.
 */
export function parseFilter(
  filter: string,
): { ok: true; matches: (referral: JsonObject) => boolean } | { ok: false; message: string } {
  const tests: ((referral: JsonObject) => boolean)[] = [];
  for (const clause of clausesOf(filter)) {
    const equality = /^([\w/]+)\s+eq\s+'((?:[^']|'')*)'$/.exec(clause);
    const path = equality?.[1] ? FILTERABLE[equality[1]] : undefined;
    if (equality && path) {
      const value = unquote(equality[2] ?? '');
      tests.push((r) => valueAt(r, path.join('.')) === value);
      continue;
    }
    const updated = /^updatedDateTime\s+(eq|ge|gt|le|lt)\s+'?([0-9T:.+\-Z]+)'?$/i.exec(clause);
    if (updated) {
      const when = Date.parse(updated[2] ?? '');
      const compare = COMPARE[(updated[1] ?? '').toLowerCase()];
      if (Number.isNaN(when) || !compare)
        return { ok: false, message: `Invalid date-time in: ${clause}` };
      tests.push((r) => compare(Date.parse(String(r.updatedDateTime)), when));
      continue;
    }
    const team = /^team\/any\((\w+):\s*(\w+)\/email\s+eq\s+'((?:[^']|'')*)'\)$/i.exec(clause);
    if (team && team[1] === team[2]) {
      const email = unquote(team[3] ?? '').toLowerCase();
      tests.push(
        (r) =>
          Array.isArray(r.team) &&
          r.team.some((m) => isObject(m) && String(m.email ?? '').toLowerCase() === email),
      );
      continue;
    }
    return {
      ok: false,
      message: `Unsupported $filter clause: ${clause}. Documented: ${Object.keys(FILTERABLE).join(', ')} (eq), updatedDateTime (eq, ge, gt, le, lt), team/any(t:t/email eq '...').`,
    };
  }
  return { ok: true, matches: (r) => tests.every((t) => t(r)) };
}
