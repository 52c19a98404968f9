const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Partner Center's ids (referrals, engagements) and our operation ids are GUIDs. */
export const isGuid = (value: string): boolean => GUID.test(value);
