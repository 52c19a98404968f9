/**
 * Who is calling and what they may do. Permissions come from app roles (application callers)
 * or delegated scopes (a user signed in to a client app); both carry the same names.
 */
/**
 * `Referrals.Read` reads what the caller itself created; `Referrals.Read.All` reads everything
 * the gateway can see (referrals Microsoft sends included) and who created it.
 * `Referrals.Update` changes (updates, closes, accepts, declines) the referrals the caller reads.
 * `Referrals.Subscribe` subscribes to changes of the referrals the caller reads.
 * `Referrals.Admin` lists and re-drives failed or stuck work (operators).
 */
export const PERMISSIONS = [
  'Referrals.Create',
  'Referrals.Read',
  'Referrals.Read.All',
  'Referrals.Update',
  'Referrals.Subscribe',
  'Referrals.Admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Caller {
  /** The Entra object id of the calling service principal or user; `anonymous` without auth. */
  objectId: string;
  /** The client application the token was issued to. */
  appId?: string;
  /** A display name, for records (never logged). */
  name?: string;
  kind: 'application' | 'user' | 'anonymous';
  permissions: ReadonlySet<Permission>;
}

/** With AUTH_MODE none (local sandbox only) every request is this caller. */
export const ANONYMOUS: Caller = {
  objectId: 'anonymous',
  kind: 'anonymous',
  permissions: new Set(PERMISSIONS),
};

/** What scopes idempotency keys and operations: the same key from two callers is two keys. */
export function callerKey(caller: Caller): string {
  return caller.objectId;
}

/** The caller's identity as stored on records. */
export interface CallerRecord {
  caller: string;
  callerAppId?: string;
  callerName?: string;
}

/** Only the record's fields of a larger object. */
export function callerRecordOf(from: CallerRecord): CallerRecord {
  return {
    caller: from.caller,
    ...(from.callerAppId ? { callerAppId: from.callerAppId } : {}),
    ...(from.callerName ? { callerName: from.callerName } : {}),
  };
}

export function callerRecord(caller: Caller): CallerRecord {
  return {
    caller: callerKey(caller),
    ...(caller.appId ? { callerAppId: caller.appId } : {}),
    ...(caller.name ? { callerName: caller.name } : {}),
  };
}

/** Who is reading, as the read model needs it: whose records, and whether everything. */
export interface Viewer {
  caller: string;
  /** `Referrals.Read.All`: every record, and who created it. */
  seesAll: boolean;
}

export function viewerOf(caller: Caller): Viewer {
  return { caller: callerKey(caller), seesAll: caller.permissions.has('Referrals.Read.All') };
}

/** Whether a record made by `owner` is the viewer's to see. */
export const mayRead = (viewer: Viewer, owner: string | undefined) =>
  viewer.seesAll || (owner !== undefined && owner === viewer.caller);
