/**
 * A referral as the gateway gives it out: Partner Center's `links` point at Partner Center, where
 * a gateway caller has no credentials, so they are replaced by the gateway's own (`self`).
 */
import type { Referral } from './schema';

/** Turns a path on the gateway (`/api/...`) into the absolute URL to give out. */
export type Linker = (path: string) => string;

export const referralPath = (id: string) => `/api/referrals/${encodeURIComponent(id)}`;

export function withGatewayLinks(referral: Referral, link: Linker): Referral {
  return { ...referral, links: { self: { uri: link(referralPath(referral.id)), method: 'GET' } } };
}

/** Without a known address of its own (no request to answer): Partner Center's links removed. */
export function withoutPartnerCenterLinks(referral: Referral): Referral {
  const { links: _links, ...rest } = referral;
  return rest;
}
