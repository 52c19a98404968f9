/**
 * The referral status rules from the "Create a referral" status table: which substatus goes with
 * which status, and which status a referral may move to later. Pure; no I/O.
 */
export const REFERRAL_STATUSES = ['None', 'New', 'Active', 'Closed'] as const;
export const REFERRAL_SUBSTATUSES = [
  'None',
  'Pending',
  'Received',
  'Accepted',
  'Won',
  'Lost',
  'Declined',
  'Expired',
] as const;

export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];
export type ReferralSubstatus = (typeof REFERRAL_SUBSTATUSES)[number];

/** The statuses the table governs; `None` is an enum value with no row of its own. */
export type TableStatus = Exclude<ReferralStatus, 'None'>;

export const STATUS_TABLE: Readonly<
  Record<
    TableStatus,
    { transitions: readonly TableStatus[]; substatuses: readonly ReferralSubstatus[] }
  >
> = {
  New: { transitions: ['New', 'Active', 'Closed'], substatuses: ['Pending', 'Received'] },
  Active: { transitions: ['Active', 'Closed'], substatuses: ['Accepted'] },
  Closed: { transitions: ['Closed'], substatuses: ['Won', 'Lost', 'Declined', 'Expired'] },
};

function isTableStatus(status: ReferralStatus): status is TableStatus {
  return status !== 'None';
}

export type StatusRuleResult = { ok: true } | { ok: false; code: string; message: string };

const ALLOWED_PAIRS = (Object.keys(STATUS_TABLE) as TableStatus[])
  .map((s) => `${s}/${STATUS_TABLE[s].substatuses.join('|')}`)
  .join(', ');

/**
 * May a new referral carry this status and substatus? Both may be left out (Partner Center then
 * sets them); a status may come alone; a substatus needs its status so the pair can be checked.
 */
export function checkCreateStatus(
  status: ReferralStatus | undefined,
  substatus: ReferralSubstatus | undefined,
): StatusRuleResult {
  if (status === undefined && substatus === undefined) return { ok: true };
  if (status === undefined) {
    return {
      ok: false,
      code: 'statusRequired',
      message: `substatus '${substatus}' needs a status; allowed pairs are ${ALLOWED_PAIRS}`,
    };
  }
  if (!isTableStatus(status)) {
    return {
      ok: false,
      code: 'invalidStatus',
      message: `status 'None' cannot be set on a referral; leave status and substatus out to let Partner Center set them, or use one of ${ALLOWED_PAIRS}`,
    };
  }
  if (substatus !== undefined && !STATUS_TABLE[status].substatuses.includes(substatus)) {
    return {
      ok: false,
      code: 'invalidStatusPair',
      message: `substatus '${substatus}' is not allowed with status '${status}'; with '${status}' use ${STATUS_TABLE[status].substatuses.join(', ')}`,
    };
  }
  return { ok: true };
}

/** May an existing referral in status `from` be updated to `to` with substatus `substatus`? */
export function checkStatusTransition(
  from: ReferralStatus,
  to: ReferralStatus,
  substatus: ReferralSubstatus | undefined,
): StatusRuleResult {
  if (!isTableStatus(to)) {
    return { ok: false, code: 'invalidStatus', message: `a referral cannot move to status 'None'` };
  }
  if (isTableStatus(from) && !STATUS_TABLE[from].transitions.includes(to)) {
    return {
      ok: false,
      code: 'invalidStatusTransition',
      message: `a referral in status '${from}' cannot move to '${to}'; allowed: ${STATUS_TABLE[from].transitions.join(', ')}`,
    };
  }
  return checkCreateStatus(to, substatus);
}
