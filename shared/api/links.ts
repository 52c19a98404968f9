/**
 * Where the gateway's resources live, as absolute URLs a client can follow (Power Automate follows
 * a `Location` with its credentials): on the configured public base URL, else on the request's own
 * origin. Forwarding headers are never read, so no caller chooses the host.
 */
import type { Referral } from '../contract/schema';

/** Turns a path on the gateway (`/api/...`) into the absolute URL to give out. */
export type Linker = (path: string) => string;

export function linkerFor(requestUrl: string, publicBaseUrl: string | undefined): Linker {
  const base = (publicBaseUrl ?? new URL(requestUrl).origin).replace(/\/+$/, '');
  return (path) => `${base}${path}`;
}

export const referralPath = (id: string) => `/api/referrals/${encodeURIComponent(id)}`;
export const operationPath = (id: string) => `/api/referrals/operations/${encodeURIComponent(id)}`;
export const createRequestPath = (token: string) =>
  `/api/referrals/requests/${encodeURIComponent(token)}`;
export const engagementPath = (id: string) => `/api/engagements/${encodeURIComponent(id)}`;

/**
 * A referral as the gateway answers it: Partner Center's `links` point at Partner Center, where a
 * gateway caller has no credentials, so they are replaced by the gateway's own (`self`).
 */
export function withGatewayLinks(referral: Referral, link: Linker): Referral {
  return { ...referral, links: { self: { uri: link(referralPath(referral.id)), method: 'GET' } } };
}
