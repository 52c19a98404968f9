import { createHash } from 'node:crypto';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Partner Center's ids (referrals, engagements) and our operation ids are GUIDs. */
export const isGuid = (value: string): boolean => GUID.test(value);

/**
 * A GUID named by `text` (SHA-256 based, version nibble 5): the same text always gives the same
 * id, so ids derived from an idempotency key converge however often they are derived.
 */
export function guidNamedBy(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  h[12] = '5';
  h[16] = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
