/**
 * Where the gateway's resources live, as absolute URLs a client can follow (Power Automate follows
 * a `Location` with its credentials): on the configured public base URL, else on the request's own
 * origin. Forwarding headers are never read, so no caller chooses the host.
 */
import type { Linker } from '../contract/gateway-links';

export { referralPath, withGatewayLinks, type Linker } from '../contract/gateway-links';

export function linkerFor(requestUrl: string, publicBaseUrl: string | undefined): Linker {
  const base = (publicBaseUrl ?? new URL(requestUrl).origin).replace(/\/+$/, '');
  return (path) => `${base}${path}`;
}

export const operationPath = (id: string) => `/api/referrals/operations/${encodeURIComponent(id)}`;
export const createRequestPath = (token: string) =>
  `/api/referrals/requests/${encodeURIComponent(token)}`;
export const engagementPath = (id: string) => `/api/engagements/${encodeURIComponent(id)}`;
