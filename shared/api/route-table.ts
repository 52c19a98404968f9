/**
 * Every HTTP route of the gateway in one place: the function files register these, and the API
 * description for Power Automate is generated from them.
 */
import type { Permission } from '../adapters/caller/caller';

export interface RouteSpec {
  route: string;
  method: 'GET' | 'POST';
  /** Absent: open to all (health only). */
  permission?: Permission;
}

export const ROUTES = {
  createReferral: { route: 'referrals', method: 'POST', permission: 'Referrals.Create' },
  getReferral: { route: 'referrals/{id}', method: 'GET', permission: 'Referrals.Read' },
  getReferralOperation: {
    route: 'referrals/operations/{operationId}',
    method: 'GET',
    permission: 'Referrals.Read',
  },
  getEngagement: {
    route: 'engagements/{engagementId}',
    method: 'GET',
    permission: 'Referrals.Read',
  },
  health: { route: 'health', method: 'GET' },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
